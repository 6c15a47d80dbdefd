package platformlocal

import (
	"errors"
	"fmt"
	"net"
	"os"
	"strconv"
)

// ListenError says that the platform cannot listen on an address it was
// given: another program holds the port, most often.
type ListenError struct {
	Service string // "the API", or the emulator's name
	Addr    string
	// Emulator: the address is in Options.FirstPort's range, not APIAddr.
	Emulator bool
	Err      error
}

func (e *ListenError) Error() string {
	var cause error = e.Err
	var se *os.SyscallError
	if errors.As(e.Err, &se) { // "address already in use", without "listen tcp <addr>: bind:" again
		cause = se.Err
	}
	return fmt.Sprintf("%s cannot listen on %s: %v", e.Service, e.Addr, cause)
}

func (e *ListenError) Unwrap() error { return e.Err }

// emulatorNames are the emulators on ports FirstPort+0, +1, … (startEmulators).
var emulatorNames = []string{"S3", "DynamoDB", "KMS", "SQS", "Lambda", "Scheduler", "STS", "IAM"}

// checkPorts tries every fixed address the platform will listen on before
// anything starts: a taken port is named at once, not after the emulators
// started, and DynamoDB Local or local-kms is not taken for ready because
// whatever holds its port answers the readiness check.
func checkPorts(opts Options) error {
	if opts.FirstPort != 0 {
		for i, name := range emulatorNames {
			addr := net.JoinHostPort("127.0.0.1", strconv.Itoa(opts.FirstPort+i))
			if err := tryListen(addr); err != nil {
				return &ListenError{Service: "the " + name + " emulator", Addr: addr, Emulator: true, Err: err}
			}
		}
	}
	if _, port, err := net.SplitHostPort(opts.APIAddr); err == nil && port != "0" {
		if err := tryListen(opts.APIAddr); err != nil {
			return &ListenError{Service: "the API", Addr: opts.APIAddr, Err: err}
		}
	}
	return nil
}

func tryListen(addr string) error {
	l, err := net.Listen("tcp", addr)
	if err != nil {
		return err
	}
	return l.Close()
}
