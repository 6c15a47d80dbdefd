package bench

import (
	"bytes"
	"strings"

	"github.com/google/pprof/profile"
)

// The benchmark's own process holds every stand-in but DynamoDB Local and
// local-kms. Its CPU is split among them by a CPU profile of the phase:
// each sample goes to the innermost frame of a known package (a SigV4 check
// called by the local S3 counts for the local S3). A sample with no such
// frame is the garbage collector's (which serves the whole heap and cannot
// be split) or "other" (net/http reading requests before a handler runs,
// syscalls, the scheduler).
var components = []struct{ pkg, name string }{
	{"/infra/local/s3local", "s3"},
	{"/infra/local/sqslocal", "sqs"},
	{"/infra/local/eventsource", "eventsource"},
	{"/infra/local/lambdalocal", "lambda"},
	{"/infra/rie/sandbox", "lambda"},
	{"/infra/local/gateway", "gateway"},
	{"/infra/local/stslocal", "sts-iam"},
	{"/infra/local/iamlocal", "sts-iam"},
	{"/infra/local/iamapi", "sts-iam"},
	{"/shared/", "functions-inproc"},
	{"/functions/", "functions-inproc"},
}

// splitSelf divides cpu seconds of this process among the components by
// prof's samples. It returns nil if prof holds no samples.
func splitSelf(prof []byte, cpu float64) map[string]float64 {
	p, err := profile.Parse(bytes.NewReader(prof))
	if err != nil || len(p.SampleType) == 0 {
		return nil
	}
	vi := len(p.SampleType) - 1 // cpu nanoseconds
	byName := map[string]int64{}
	var total int64
	for _, s := range p.Sample {
		v := s.Value[vi]
		byName[componentOf(s)] += v
		total += v
	}
	if total == 0 {
		return nil
	}
	out := map[string]float64{}
	for n, v := range byName {
		out["self:"+n] = round2(cpu * float64(v) / float64(total))
	}
	return out
}

// componentOf names the component a sample's CPU belongs to. The
// benchmark's own polling of the run (through shared/metadata) is the
// harness's, wherever it leads.
func componentOf(s *profile.Sample) string {
	for _, loc := range s.Location {
		for _, l := range loc.Line {
			if l.Function != nil && strings.Contains(l.Function.Name, "/infra/local/bench.") {
				return "harness"
			}
		}
	}
	gc := false
	for _, loc := range s.Location { // innermost first
		for _, l := range loc.Line {
			if l.Function == nil {
				continue
			}
			fn := l.Function.Name
			for _, c := range components {
				if strings.Contains(fn, c.pkg) {
					return c.name
				}
			}
			if strings.HasPrefix(fn, "runtime.gcBgMarkWorker") || strings.HasPrefix(fn, "runtime.bgsweep") ||
				strings.HasPrefix(fn, "runtime.gcAssistAlloc") || strings.HasPrefix(fn, "runtime.bgscavenge") {
				gc = true
			}
		}
	}
	if gc {
		return "gc"
	}
	return "other"
}
