// Package platform is what the functions, the CDK stack and the local
// platform must agree on: the functions' configuration and the environment
// variables that carry it (config.go), the resources' names (names.go), the
// SDK's settings (aws.go) and the task queue's batching (tasks.go).
package platform
