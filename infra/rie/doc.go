// Package rie proves that the functions run as they are deployed: its test
// builds every function's real bootstrap (-tags lambda.norpc, CGO off, as
// `make package` does, for this machine's architecture), runs each under the
// AWS Lambda Runtime Interface Emulator (aws-lambda-rie, installed by `make
// tools`) with the environment the CDK stack gives it, pointed at the local
// platform's emulators, and replays the events/ fixtures against them.
package rie
