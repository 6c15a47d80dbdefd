// Package policy holds IAM policy documents: their JSON shape (which reads
// AWS's single-string shorthands), and the platform's own policies that the
// CDK stack deploys and the local platform enforces, so the two cannot drift.
package policy
