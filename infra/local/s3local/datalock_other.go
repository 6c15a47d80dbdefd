//go:build !unix

package s3local

// lockDataPath does not lock where flock is missing; one server per DataPath
// is then up to the caller.
func lockDataPath(string) (func() error, error) {
	return func() error { return nil }, nil
}
