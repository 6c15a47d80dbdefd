// Package app is the composition root: it builds each function's handler
// from the platform's configuration and the SDK's, and declares the
// settings (environment variables) each function reads. The Lambda mains,
// the local platform and the CDK stack's function specs all start here, so
// the same wiring runs on AWS and on this machine.
package app
