// Package reliability holds the platform's end-to-end fault tests: the
// whole local platform runs with fault injectors in front of its S3,
// DynamoDB and SQS (infra/local/faults), and every test ends in an exact
// check of what the dataset holds, file by file, and of the run's counts.
// `go test` runs them; the package has no other code.
package reliability
