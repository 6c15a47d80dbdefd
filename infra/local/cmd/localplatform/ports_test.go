package main

import (
	"context"
	"net"
	"strconv"
	"strings"
	"testing"

	"github.com/datalake-platform/s3connections/infra/local/platformlocal"
)

// A port another program holds stops the platform before anything starts,
// with an error that names the port and the flag that moves it.
func TestAPortInUseNamesTheFlagThatMovesIt(t *testing.T) {
	held, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer held.Close()
	addr := held.Addr().String()
	port := held.Addr().(*net.TCPAddr).Port
	testCases := []struct {
		name string
		opts platformlocal.Options
		want []string
	}{
		{"API", platformlocal.Options{APIAddr: addr}, []string{"the API cannot listen on " + addr + ": address already in use", "-addr"}},
		{"emulators", platformlocal.Options{APIAddr: "127.0.0.1:0", FirstPort: port},
			[]string{"the S3 emulator cannot listen on 127.0.0.1:" + strconv.Itoa(port) + ": address already in use", "-emulator-ports"}},
		{"an emulator past the first", platformlocal.Options{APIAddr: "127.0.0.1:0", FirstPort: port - 2},
			[]string{"the KMS emulator cannot listen on 127.0.0.1:" + strconv.Itoa(port), "-emulator-ports"}},
	}
	for _, tc := range testCases {
		t.Run(tc.name, func(t *testing.T) {
			for p := tc.opts.FirstPort; p > 0 && p < port; p++ { // ports before the held one must be free
				l, err := net.Listen("tcp", "127.0.0.1:"+strconv.Itoa(p))
				if err != nil {
					t.Skipf("port %d is in use by another program", p)
				}
				l.Close()
			}
			p, err := platformlocal.Start(context.Background(), tc.opts)
			if err == nil {
				p.Close()
				t.Fatal("started on a port in use")
			}
			msg := explainListen(err).Error()
			for _, w := range tc.want {
				if !strings.Contains(msg, w) {
					t.Errorf("error %q does not say %q", msg, w)
				}
			}
		})
	}
}
