// Package rie proves that the functions run as they are deployed: its test
// builds every function's real bootstrap (-tags lambda.norpc, CGO off, as
// `make package` does, for this machine's architecture), runs each under the
// AWS Lambda Runtime Interface Emulator (aws-lambda-rie, installed by `make
// tools`) with the environment the CDK stack gives it, pointed at the local
// platform's emulators, and replays the events/ fixtures against them.
//
// It also proves that the local Lambda runtime (infra/local/lambdalocal)
// answers as aws-lambda-go's runtime does: the probe handler
// (internal/probe) runs both as a bootstrap under aws-lambda-rie and
// in-process, and every outcome (results, returned errors of each kind,
// panics, a timeout) must get the same answer from both.
package rie
