package emulators

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
)

// KMS options. DataDir "" keeps keys in a temporary folder.
type KMS struct {
	Port            int
	DataDir         string
	Region, Account string
	Log             io.Writer
}

// Start runs local-kms from the binary that `make tools` installed.
func (o KMS) Start(ctx context.Context) (*Process, error) {
	tools, err := ToolsDir()
	if err != nil {
		return nil, err
	}
	bin := filepath.Join(tools, "bin", "local-kms")
	if _, err := os.Stat(bin); err != nil {
		return nil, fmt.Errorf("local-kms is not installed at %s: run `make tools`", bin)
	}
	dir := o.DataDir
	if dir == "" {
		if dir, err = os.MkdirTemp("", "local-kms-"); err != nil {
			return nil, err
		}
	} else if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, err
	}
	cmd := exec.CommandContext(ctx, bin)
	cmd.Env = append(os.Environ(),
		"PORT="+strconv.Itoa(o.Port), "KMS_DATA_PATH="+dir,
		"KMS_REGION="+o.Region, "KMS_ACCOUNT_ID="+o.Account)
	return start(ctx, "local-kms", cmd, o.Port, o.Log)
}
