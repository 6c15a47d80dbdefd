package lambdalocal

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"strings"
	"testing"
)

// BenchmarkInvoke measures one synchronous in-process invocation of an
// aws-lambda-go echo handler: the runtime's bookkeeping, the handler's JSON
// decoding and encoding and the copy of its response, with invocations in
// parallel as the worker's are. ns/op is per invocation.
func BenchmarkInvoke(b *testing.B) {
	for _, size := range []int{100, 64 << 10} {
		b.Run(fmt.Sprintf("%dB", size), func(b *testing.B) {
			rt := New(Options{Logger: slog.New(slog.DiscardHandler)},
				Function{Name: "echo", Handler: NewHandler(func(s string) (string, error) { return s, nil })})
			b.Cleanup(func() { _ = rt.Close() })
			payload, err := json.Marshal(strings.Repeat("x", size-2))
			if err != nil {
				b.Fatal(err)
			}
			b.SetBytes(int64(len(payload)))
			b.ReportAllocs()
			b.ResetTimer()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					out, err := rt.Invoke(context.Background(), "echo", payload)
					if err != nil || len(out) != len(payload) {
						b.Errorf("Invoke = %d bytes, %v; want %d bytes", len(out), err, len(payload))
						return
					}
				}
			})
		})
	}
}
