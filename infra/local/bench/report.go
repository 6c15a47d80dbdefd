package bench

import (
	"fmt"
	"io"
	"slices"
	"sort"
	"strings"

	"github.com/datalake-platform/s3connections/infra/local/eventsource"
)

// platformDetail records where a platform run's time went, as far as the
// API and the local event source show it.
func platformDetail(t RunTiming, before, after eventsource.Stats) map[string]any {
	d := map[string]any{}
	for _, f := range []string{"Listed", "Matched", "Copied", "SkippedUnchanged", "TasksPlanned", "TasksDone", "BytesCopied", "Failed", "FailedValidation"} {
		d[f] = Num(t.Record, f)
	}
	for _, f := range []string{"CreatedAt", "StartedAt", "FinishedAt"} {
		if v, ok := t.Record[f].(string); ok {
			d[f] = v
		}
	}
	if t.Planned > 0 {
		d["planning_done_seen_after_seconds"] = round4(t.Planned.Seconds())
	}
	if len(t.PagesSeen) > 0 {
		d["listing_pages_seen_after_seconds"] = t.PagesSeen
	}
	msgs, inv := after.Received-before.Received, after.Invocations-before.Invocations
	d["messages_received"], d["worker_invocations"] = msgs, inv
	if inv > 0 {
		d["messages_per_invocation"] = round2(float64(msgs) / float64(inv))
	}
	d["batch_failures"] = after.BatchFailures - before.BatchFailures
	d["throttles"] = after.Throttles - before.Throttles
	return d
}

// Summarize groups phases by kind and row, in the order they first appear
// (copies first), with medians over the rounds.
func Summarize(phases []Phase) []Row {
	type key struct{ kind, tool string }
	var keys []key
	groups := map[key][]Phase{}
	for _, p := range phases {
		k := key{p.Kind, p.Tool}
		if _, ok := groups[k]; !ok {
			keys = append(keys, k)
		}
		groups[k] = append(groups[k], p)
	}
	rank := map[string]int{RowPlatform: 0, RowS5cmdCp: 1, RowRcloneCopy: 2, RowPlatformRerun: 3, RowS5cmdSync: 4, RowRcloneSync: 5, RowListWalk: 6}
	sort.SliceStable(keys, func(i, j int) bool {
		if keys[i].kind != keys[j].kind {
			return keys[i].kind == KindCopy
		}
		return rank[keys[i].tool] < rank[keys[j].tool]
	})
	var rows []Row
	medians := map[string]float64{}
	for _, k := range keys {
		ps := groups[k]
		secs := make([]float64, len(ps))
		cpu := map[string][]float64{}
		for i, p := range ps {
			secs[i] = p.Seconds
			for n, v := range p.CPUSeconds {
				cpu[n] = append(cpu[n], v)
			}
		}
		r := Row{Kind: k.kind, Tool: k.tool, Runs: len(ps), MedianSeconds: round4(median(secs)),
			MinSeconds: slices.Min(secs), MaxSeconds: slices.Max(secs), Objects: ps[0].Objects, CPU: map[string]float64{}}
		for n, vs := range cpu {
			r.CPU[n] = round2(median(vs))
		}
		if r.MedianSeconds > 0 {
			r.ObjectsPerSec = round2(float64(ps[0].Objects) / r.MedianSeconds)
			r.MBPerSec = round2(float64(ps[0].Bytes) / 1e6 / r.MedianSeconds)
		}
		medians[k.tool] = r.MedianSeconds
		rows = append(rows, r)
	}
	for i := range rows {
		s5, rc := RowS5cmdCp, RowRcloneCopy
		if rows[i].Kind == KindRerun {
			s5, rc = RowS5cmdSync, RowRcloneSync
		}
		if m := medians[s5]; m > 0 && rows[i].MedianSeconds > 0 {
			rows[i].VsS5cmd = round2(m / rows[i].MedianSeconds)
		}
		if m := medians[rc]; m > 0 && rows[i].MedianSeconds > 0 {
			rows[i].VsRclone = round2(m / rows[i].MedianSeconds)
		}
	}
	return rows
}

func median(v []float64) float64 {
	if len(v) == 0 {
		return 0
	}
	s := slices.Clone(v)
	slices.Sort(s)
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

// Table writes the results as aligned text.
func Table(w io.Writer, res *Results) {
	m := res.Machine
	fmt.Fprintf(w, "machine: %d cores (%s), %s, %s; load average at start %s, at end %s\n",
		m.Cores, m.CPU, m.MemTotal, m.GoVersion, m.LoadAvgStart, m.LoadAvgEnd)
	var versions []string
	for k, v := range res.Versions {
		if k != "go" {
			versions = append(versions, k+" "+strings.TrimPrefix(v, k+" "))
		}
	}
	sort.Strings(versions)
	fmt.Fprintf(w, "tools: %s\n", strings.Join(versions, ", "))
	fmt.Fprintf(w, "source: %d objects, %.1f MB (config %v); rounds: %v\n\n", res.Source.Objects, float64(res.Source.Bytes)/1e6,
		layoutText(res.Config), res.Config["rounds"])

	for _, kind := range []string{KindCopy, KindRerun} {
		title := "Copy into a fresh target (median over rounds)"
		if kind == KindRerun {
			title = "Unchanged re-run of the same buckets (median over rounds)"
		}
		fmt.Fprintln(w, title)
		header := []string{"tool", "median s", "min s", "max s", "objects/s", "MB/s", "× s5cmd", "× rclone", "CPU s self/ddb/tool"}
		rows := [][]string{header}
		for _, r := range res.Summary {
			if r.Kind != kind {
				continue
			}
			mbs := fmt.Sprintf("%.1f", r.MBPerSec)
			if kind == KindRerun {
				mbs = "-"
			}
			rows = append(rows, []string{r.Tool, fmt.Sprintf("%.3f", r.MedianSeconds), fmt.Sprintf("%.3f", r.MinSeconds),
				fmt.Sprintf("%.3f", r.MaxSeconds), fmt.Sprintf("%.0f", r.ObjectsPerSec), mbs, ratio(r.VsS5cmd), ratio(r.VsRclone),
				fmt.Sprintf("%s/%s/%s", cpuText(r.CPU, "self"), cpuText(r.CPU, "dynamodb"), cpuText(r.CPU, "tool"))})
		}
		writeAligned(w, rows)
		fmt.Fprintln(w)
	}
	cpuPerObject(w, res.Summary)
	if l := res.EventToDLZ; l != nil {
		fmt.Fprintf(w, "event-driven dataset, event to DLZ over %d objects written at %d/s (PutObject answered -> in the DLZ, no run started): p50 %.3f s, p99 %.3f s, max %.3f s\n",
			l.Objects, l.Rate, l.P50, l.P99, l.Max)
	}
	fmt.Fprintln(w, "× s5cmd: s5cmd's median time (cp for copies, sync for re-runs) / the row's; above 1 is faster than s5cmd. × rclone likewise.")
	fmt.Fprintln(w, "CPU s: median CPU seconds of the benchmark process (platform functions + local S3/SQS/Lambda/gateway), DynamoDB Local, and the external tool.")
	for _, p := range res.Phases {
		if p.Tool == RowPlatform || p.Tool == RowPlatformRerun {
			d := p.Detail
			fmt.Fprintf(w, "platform round %d %-5s %7.3f s: listing pages saved at %s s, planning done at %v s; %v worker invocations (%v messages each)\n",
				p.Round, p.Kind, p.Seconds, pagesText(d["listing_pages_seen_after_seconds"]), d["planning_done_seen_after_seconds"],
				d["worker_invocations"], orDash(d["messages_per_invocation"]))
		}
	}
}

// cpuColumns are the columns of the CPU-per-object table: a name and the
// CPU keys (see CPUTimes, splitSelf) it sums.
var cpuColumns = []struct {
	name string
	keys []string
}{
	{"functions", []string{"fn:planner", "fn:worker", "self:functions-inproc"}},
	{"tool", []string{"tool"}},
	{"lambda rt", []string{"rie", "self:lambda"}},
	{"s3", []string{"self:s3"}},
	{"sqs", []string{"self:sqs"}},
	{"event src", []string{"self:eventsource"}},
	{"dynamodb", []string{"dynamodb"}},
	{"kms", []string{"kms"}},
	{"gw/sts/iam", []string{"self:gateway", "self:sts-iam"}},
	{"gc", []string{"self:gc"}},
	{"other", []string{"self:other", "self:harness"}},
}

// cpuPerObject writes the copies' CPU per copied object by process and
// stand-in, and the functions' figure against s5cmd's process.
func cpuPerObject(w io.Writer, rows []Row) {
	fmt.Fprintln(w, "CPU per copied object, ms (median CPU s over rounds / objects), by process and stand-in")
	header := []string{"tool"}
	for _, c := range cpuColumns {
		header = append(header, c.name)
	}
	table := [][]string{append(header, "all")}
	perObject := map[string]float64{}
	for _, r := range rows {
		if r.Kind != KindCopy || r.Objects == 0 {
			continue
		}
		line, all := []string{r.Tool}, 0.0
		for _, c := range cpuColumns {
			v, seen := 0.0, false
			for _, k := range c.keys {
				if x, ok := r.CPU[k]; ok {
					v, seen = v+x, true
				}
			}
			ms := v * 1000 / float64(r.Objects)
			perObject[r.Tool+"/"+c.name], all = ms, all+ms
			if seen {
				line = append(line, fmt.Sprintf("%.3f", ms))
			} else {
				line = append(line, "-")
			}
		}
		table = append(table, append(line, fmt.Sprintf("%.3f", all)))
	}
	writeAligned(w, table)
	fn, s5 := perObject[RowPlatform+"/functions"], perObject[RowS5cmdCp+"/tool"]
	if fn > 0 && s5 > 0 {
		verdict := "at or below"
		if fn > s5 {
			verdict = "ABOVE"
		}
		fmt.Fprintf(w, "the functions (planner + worker processes): %.3f ms per copied object, %s s5cmd's process: %.3f ms (%.2f×)\n", fn, verdict, s5, fn/s5)
	}
	fmt.Fprintln(w, "functions: the planner's and workers' bootstrap processes (under aws-lambda-rie); tool: the external tool's process alone; the stand-ins in the benchmark's process are split by a CPU profile (gc: its collector, which serves all of them; other: HTTP plumbing before a handler, the scheduler)")
	fmt.Fprintln(w)
}

// pagesText shortens a list of page times: the first three and the last.
func pagesText(v any) string {
	pages, _ := v.([]float64)
	var parts []string
	for i, p := range pages {
		if i < 3 || i == len(pages)-1 {
			parts = append(parts, fmt.Sprintf("%.2f", p))
		} else if i == 3 {
			parts = append(parts, "…")
		}
	}
	if len(parts) == 0 {
		return "-"
	}
	return strings.Join(parts, ", ")
}

func orDash(v any) any {
	if v == nil {
		return "-"
	}
	return v
}

func layoutText(c map[string]any) string {
	return fmt.Sprintf("%v × %v–%v KiB + %v × %v MiB", c["objects"], c["min_kib"], c["max_kib"], c["large"], c["large_mib"])
}

func ratio(v float64) string {
	if v == 0 {
		return "-"
	}
	return fmt.Sprintf("%.2f", v)
}

func cpuText(m map[string]float64, k string) string {
	v, ok := m[k]
	if !ok {
		return "-"
	}
	return fmt.Sprintf("%.1f", v)
}

// writeAligned writes rows with the first column left-aligned and the
// others right-aligned, each as wide as its widest cell.
func writeAligned(w io.Writer, rows [][]string) {
	widths := map[int]int{}
	for _, r := range rows {
		for i, c := range r {
			widths[i] = max(widths[i], len([]rune(c)))
		}
	}
	for _, r := range rows {
		var b strings.Builder
		for i, c := range r {
			pad := strings.Repeat(" ", widths[i]-len([]rune(c)))
			if i == 0 {
				b.WriteString(c + pad)
			} else {
				b.WriteString("  " + pad + c)
			}
		}
		fmt.Fprintln(w, strings.TrimRight(b.String(), " "))
	}
}
