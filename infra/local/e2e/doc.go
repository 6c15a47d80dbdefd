// Package e2e holds the platform's end-to-end tests: each drives the API as
// a user does, over HTTP through the local gateway (JWT checks included), on
// the whole local platform (infra/local/platformlocal), and checks what
// landed in the zones, the catalog and the run records. It has no code but
// its tests.
package e2e
