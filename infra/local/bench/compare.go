// Package bench measures the ingestion engine on the local platform: side
// by side with s5cmd and rclone on the same local S3 endpoint (`make bench`,
// command cmd/bench), and end to end on its own (BenchmarkIngest10k).
//
// One comparison seeds a source bucket, then, round after round, copies it
// with each tool into a fresh target: the platform through its API (run
// now → planner → SQS → workers → catalog, timed from the trigger to the
// run's final state), `s5cmd cp` and `rclone copy` into fresh buckets
// (server-side copies, as the platform's bucket-policy connections do).
// Then it times the unchanged re-run of each: the platform's second run
// (every file skipped by ETag), `s5cmd sync`, `rclone sync --checksum`, and
// a bare ListObjectsV2 walk of the source. The order of the tools rotates
// from round to round.
package bench

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"runtime"
	"runtime/pprof"
	"slices"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/datalake-platform/s3connections/infra/local/platformlocal"
	"github.com/datalake-platform/s3connections/shared/metadata"
	"github.com/datalake-platform/s3connections/shared/platform"
)

// The tools a comparison can run.
const (
	ToolPlatform = "platform"
	ToolS5cmd    = "s5cmd"
	ToolRclone   = "rclone"
)

// Config is one comparison.
type Config struct {
	Layout
	Rounds int
	// Warmup is the number of objects of a bucket every tool copies and
	// re-runs once, untimed, before the rounds; 0: none.
	Warmup int
	// Tools is a subset of ToolPlatform, ToolS5cmd, ToolRclone; the source is
	// always seeded and walked.
	Tools                                         []string
	S5cmdPath, RclonePath                         string
	S5cmdWorkers, RcloneTransfers, RcloneCheckers int
	// WorkerConcurrency is the platform's worker concurrency; 0 means 90.
	// With Sandboxes, invocations beyond them wait for a free sandbox.
	WorkerConcurrency int
	// Sandboxes, when above 0, runs the planner and that many worker
	// sandboxes as the functions' real bootstraps under aws-lambda-rie
	// (processes of their own, whose CPU is measured apart); 0 runs the
	// functions in the benchmark's process.
	Sandboxes int
	// FunctionEnv is added to the sandboxed functions' environment
	// ("GOGC=100", …), for experiments.
	FunctionEnv []string
	// Poll is how often the run is read while it runs.
	Poll time.Duration
	// EventObjects, when above 0 (and the platform is compared), is how
	// many objects measure the event-to-DLZ latency of an event-driven
	// dataset, after the rounds.
	EventObjects int
	// CPUProfileDir, when set, receives a CPU profile of the benchmark's
	// process for each timed platform phase (platform-<kind>-r<round>.pprof).
	CPUProfileDir string
	// Log receives the platform's logs (warnings and above); Progress a line
	// per phase as the benchmark goes.
	Log, Progress io.Writer
}

// Phase is one timed operation.
type Phase struct {
	Round   int     `json:"round"`
	Kind    string  `json:"kind"` // KindCopy or KindRerun
	Tool    string  `json:"tool"` // the row it counts in
	Seconds float64 `json:"seconds"`
	Objects int     `json:"objects"`
	Bytes   int64   `json:"bytes"`
	// CPUSeconds is the CPU time used during the phase: "self" is the
	// benchmark's process (the platform's functions, the local S3, SQS,
	// Lambda runtime and API gateway), "dynamodb" DynamoDB Local, "kms"
	// local-kms, "tool" the external tool's process.
	CPUSeconds map[string]float64 `json:"cpu_seconds"`
	Load1After float64            `json:"load1_after"`
	Command    string             `json:"command,omitempty"`
	Detail     map[string]any     `json:"detail,omitempty"`
}

// Kinds of phases.
const (
	KindCopy  = "copy"
	KindRerun = "rerun"
)

// Row labels.
const (
	RowPlatform      = "platform (API trigger → run end)"
	RowS5cmdCp       = "s5cmd cp"
	RowRcloneCopy    = "rclone copy"
	RowPlatformRerun = "platform re-run (all skipped by ETag)"
	RowS5cmdSync     = "s5cmd sync"
	RowRcloneSync    = "rclone sync --checksum"
	RowListWalk      = "ListObjectsV2 walk (Go SDK, 1000/page)"
)

// Row summarizes the phases of one tool and kind over the rounds.
type Row struct {
	Kind          string  `json:"kind"`
	Tool          string  `json:"tool"`
	Runs          int     `json:"runs"`
	MedianSeconds float64 `json:"median_seconds"`
	MinSeconds    float64 `json:"min_seconds"`
	MaxSeconds    float64 `json:"max_seconds"`
	Objects       int     `json:"objects"`
	ObjectsPerSec float64 `json:"objects_per_second"` // at the median time
	MBPerSec      float64 `json:"mb_per_second"`      // 10^6 bytes, at the median time
	// VsS5cmd is s5cmd's median time for the same kind (cp or sync) over
	// this row's: above 1, this row is faster than s5cmd. VsRclone likewise.
	VsS5cmd  float64            `json:"vs_s5cmd,omitempty"`
	VsRclone float64            `json:"vs_rclone,omitempty"`
	CPU      map[string]float64 `json:"median_cpu_seconds"`
}

// Results is what a comparison measured.
type Results struct {
	StartedAt  time.Time         `json:"started_at"`
	FinishedAt time.Time         `json:"finished_at"`
	Machine    Machine           `json:"machine"`
	Config     map[string]any    `json:"config"`
	Versions   map[string]string `json:"versions"`
	Source     Totals            `json:"source"`
	SeedSecs   float64           `json:"seed_seconds"`
	Phases     []Phase           `json:"phases"`
	Warmup     []Phase           `json:"warmup_phases,omitempty"` // not in the summary
	Summary    []Row             `json:"summary"`
	Notes      []string          `json:"notes"`
	// EventToDLZ is the event-driven dataset's latency (Config.EventObjects).
	EventToDLZ *EventLatency `json:"event_to_dlz,omitempty"`
}

// Buckets of a comparison.
const (
	SourceBucket = "bench-source"
	datasetDom   = "bench"
)

// Compare runs a comparison on a local platform it starts and stops.
func Compare(ctx context.Context, cfg Config) (*Results, error) {
	cfg = withDefaults(cfg)
	res := &Results{StartedAt: time.Now().UTC(), Machine: ThisMachine(), Versions: map[string]string{}, Config: configRecord(cfg)}
	plat, err := platformlocal.Start(ctx, platformlocal.Options{
		Log:               slog.New(slog.NewJSONHandler(cfg.Log, &slog.HandlerOptions{Level: slog.LevelWarn})),
		WorkerConcurrency: cfg.WorkerConcurrency,
	})
	if err != nil {
		return nil, fmt.Errorf("start the local platform: %w", err)
	}
	defer plat.Close()
	res.Config["worker_concurrency"] = plat.WorkerConcurrency
	scratch, err := os.MkdirTemp("", "s3connections-bench-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(scratch)
	if cfg.Sandboxes > 0 {
		stop, err := startSandboxes(plat, filepath.Join(scratch, "functions"), cfg.Sandboxes, cfg.FunctionEnv, cfg.Log)
		if err != nil {
			return nil, err
		}
		defer stop()
	}
	e, err := newComparison(ctx, cfg, plat, res, scratch)
	if err != nil {
		return nil, err
	}
	if err := e.warmUp(ctx); err != nil {
		return nil, err
	}
	if err := e.timedRounds(ctx); err != nil {
		return nil, err
	}
	if cfg.EventObjects > 0 && e.has(ToolPlatform) {
		e.progress("event-to-DLZ latency over %d objects…", cfg.EventObjects)
		if res.EventToDLZ, err = e.measureEvents(ctx, cfg.EventObjects); err != nil {
			return nil, err
		}
	}
	res.Summary = Summarize(res.Phases)
	res.Notes = notes(cfg)
	res.Machine.LoadAvgEnd = LoadAvg()
	res.FinishedAt = time.Now().UTC()
	return res, nil
}

// withDefaults fills what cfg leaves zero.
func withDefaults(cfg Config) Config {
	if cfg.Rounds <= 0 {
		cfg.Rounds = 1
	}
	if cfg.Poll <= 0 {
		cfg.Poll = 50 * time.Millisecond
	}
	if cfg.Log == nil {
		cfg.Log = io.Discard
	}
	if cfg.Progress == nil {
		cfg.Progress = io.Discard
	}
	return cfg
}

// configRecord is cfg as the results record it.
func configRecord(cfg Config) map[string]any {
	return map[string]any{
		"objects": cfg.Objects, "min_kib": cfg.MinKiB, "max_kib": cfg.MaxKiB, "large": cfg.Large, "large_mib": cfg.LargeMiB,
		"rounds": cfg.Rounds, "warmup_objects": cfg.Warmup, "tools": cfg.Tools, "s5cmd_workers": cfg.S5cmdWorkers,
		"rclone_transfers": cfg.RcloneTransfers, "rclone_checkers": cfg.RcloneCheckers,
		"worker_concurrency": cfg.WorkerConcurrency, "event_objects": cfg.EventObjects, "sandboxes": cfg.Sandboxes, "function_env": cfg.FunctionEnv, "poll": cfg.Poll.String(), "cpu_profile_dir": cfg.CPUProfileDir,
	}
}

// newComparison sets up the tools against plat's S3 and records their
// versions, with scratch as their working folder.
func newComparison(ctx context.Context, cfg Config, plat *platformlocal.Platform, res *Results, scratch string) (*comparison, error) {
	awsCfg, err := platform.LoadAWS(ctx)
	if err != nil {
		return nil, err
	}
	endpoint := plat.Endpoints["S3"]
	awsEnv := []string{"AWS_ACCESS_KEY_ID=" + platformlocal.AccessKeyID, "AWS_SECRET_ACCESS_KEY=" + platformlocal.SecretAccessKey, "AWS_REGION=" + platformlocal.Region}
	e := &comparison{
		cfg: cfg, plat: plat, res: res,
		api: &API{Plat: plat, User: "bench", Records: metadata.New(dynamodb.NewFromConfig(awsCfg), plat.Config.Table)},
		s3:  NewS3(awsCfg),
		s5:  S5cmd{Tool: Tool{Path: cfg.S5cmdPath, Env: awsEnv, Dir: scratch}, Endpoint: endpoint, Workers: cfg.S5cmdWorkers},
		rc: Rclone{Tool: Tool{Path: cfg.RclonePath, Env: RcloneEnv(endpoint, platformlocal.Region, platformlocal.AccessKeyID, platformlocal.SecretAccessKey), Dir: scratch},
			Transfers: cfg.RcloneTransfers, Checkers: cfg.RcloneCheckers},
	}
	if e.has(ToolS5cmd) {
		res.Versions["s5cmd"] = e.s5.Version(ctx)
	}
	if e.has(ToolRclone) {
		res.Versions["rclone"] = e.rc.Version(ctx)
	}
	res.Versions["go"] = runtime.Version()
	return e, nil
}

// warmUp has every tool copy a small bucket of its own once (JIT of
// DynamoDB Local, connection pools, caches, the tools' binaries): not
// reported in the table.
func (e *comparison) warmUp(ctx context.Context) error {
	if e.cfg.Warmup <= 0 {
		return nil
	}
	src := source{bucket: "bench-warmup"}
	var err error
	if src.totals, err = e.s3.Seed(ctx, src.bucket, Layout{Objects: e.cfg.Warmup, MinKiB: e.cfg.MinKiB, MaxKiB: e.cfg.MaxKiB}); err != nil {
		return err
	}
	if err := e.connect(ctx, &src); err != nil {
		return err
	}
	if err := e.round(ctx, 0, src); err != nil {
		return fmt.Errorf("warm-up: %w", err)
	}
	return nil
}

// timedRounds seeds the source bucket and runs the reported rounds on it.
func (e *comparison) timedRounds(ctx context.Context) error {
	src := source{bucket: SourceBucket}
	seedStart := time.Now()
	var err error
	if src.totals, err = e.s3.Seed(ctx, src.bucket, e.cfg.Layout); err != nil {
		return err
	}
	e.res.Source, e.res.SeedSecs = src.totals, round2(time.Since(seedStart).Seconds())
	e.progress("seeded s3://%s: %d objects, %.1f MB in %.1f s", src.bucket, src.totals.Objects, float64(src.totals.Bytes)/1e6, e.res.SeedSecs)
	if err := e.connect(ctx, &src); err != nil {
		return err
	}
	for round := 1; round <= e.cfg.Rounds; round++ {
		if err := e.round(ctx, round, src); err != nil {
			return err
		}
	}
	return nil
}

// comparison is a running comparison.
type comparison struct {
	cfg  Config
	plat *platformlocal.Platform
	res  *Results
	api  *API
	s3   S3
	s5   S5cmd
	rc   Rclone
}

// source is a seeded bucket and, when the platform is compared, its connection.
type source struct {
	bucket     string
	totals     Totals
	connection string
}

func (e *comparison) has(t string) bool { return slices.Contains(e.cfg.Tools, t) }

func (e *comparison) progress(format string, args ...any) {
	fmt.Fprintf(e.cfg.Progress, format+"\n", args...)
}

func (e *comparison) connect(ctx context.Context, src *source) error {
	if !e.has(ToolPlatform) {
		return nil
	}
	var err error
	src.connection, err = e.api.Connect(ctx, src.bucket, src.bucket)
	return err
}

// measure runs f as one phase of round (0: the warm-up), with the CPU
// time of every process.
func (e *comparison) measure(round int, kind, row string, src source, f func(*Phase) error) error {
	runtime.GC()
	time.Sleep(300 * time.Millisecond) // let the previous phase's stragglers settle
	p := Phase{Round: round, Kind: kind, Tool: row, Objects: src.totals.Objects, Bytes: src.totals.Bytes}
	var prof bytes.Buffer
	stopProfile, err := e.startProfile(round, kind, row, &prof)
	if err != nil {
		return err
	}
	before := CPUTimes()
	start := time.Now()
	err = f(&p)
	stopProfile()
	if err != nil {
		return fmt.Errorf("round %d, %s: %w", round, row, err)
	}
	if p.Seconds == 0 {
		p.Seconds = time.Since(start).Seconds()
	}
	cpu := cpuDelta(before, CPUTimes())
	for k, v := range p.CPUSeconds {
		cpu[k] = v
	}
	for k, v := range splitSelf(prof.Bytes(), cpu["self"]) {
		cpu[k] = v
	}
	p.CPUSeconds, p.Load1After = cpu, Load1()
	p.Seconds = round4(p.Seconds)
	label := fmt.Sprintf("round %d", round)
	if round == 0 {
		e.res.Warmup = append(e.res.Warmup, p)
		label = "warm-up"
	} else {
		e.res.Phases = append(e.res.Phases, p)
	}
	e.progress("%-7s %-5s %-40s %8.3f s %8.0f objects/s %7.1f MB/s  cpu s %v  load %.2f", label, kind, row, p.Seconds,
		float64(p.Objects)/p.Seconds, float64(p.Bytes)/1e6/p.Seconds, p.CPUSeconds, p.Load1After)
	return nil
}

// startProfile starts a CPU profile of the benchmark's process for a timed
// phase into buf (splitSelf reads it), and into CPUProfileDir for the
// platform's phases if asked.
func (e *comparison) startProfile(round int, kind, row string, buf *bytes.Buffer) (stop func(), err error) {
	if round == 0 {
		return func() {}, nil
	}
	var w io.Writer = buf
	var f *os.File
	if e.cfg.CPUProfileDir != "" && (row == RowPlatform || row == RowPlatformRerun) {
		if err := os.MkdirAll(e.cfg.CPUProfileDir, 0o755); err != nil {
			return nil, err
		}
		if f, err = os.Create(filepath.Join(e.cfg.CPUProfileDir, fmt.Sprintf("platform-%s-r%d.pprof", kind, round))); err != nil {
			return nil, err
		}
		w = io.MultiWriter(buf, f)
	}
	if err := pprof.StartCPUProfile(w); err != nil {
		if f != nil {
			f.Close()
		}
		return nil, err
	}
	return func() {
		pprof.StopCPUProfile()
		if f != nil {
			f.Close()
		}
	}, nil
}

// verify checks that bucket/prefix holds what src does.
func (e *comparison) verify(ctx context.Context, src source, bucket, prefix string) error {
	got, err := e.s3.Count(ctx, bucket, prefix)
	if err != nil {
		return err
	}
	if got != src.totals {
		return fmt.Errorf("s3://%s/%s holds %d objects, %d bytes; the source %d, %d", bucket, prefix, got.Objects, got.Bytes, src.totals.Objects, src.totals.Bytes)
	}
	return nil
}

func toolPhase(p *Phase, r ToolRun, err error) error {
	if err != nil {
		return err
	}
	p.Seconds, p.Command = r.Took.Seconds(), strings.Join(r.Args, " ")
	p.CPUSeconds = map[string]float64{"tool": round2(r.CPU.Seconds())}
	return nil
}

// platformRun times one run of schedule, then waits (untimed) until every
// worker invocation has returned, so that none spills into the next phase.
func (e *comparison) platformRun(ctx context.Context, p *Phase, schedule string) (RunTiming, error) {
	before := e.plat.Poller.Stats()
	t, err := e.api.Run(ctx, schedule, e.cfg.Poll)
	if err != nil {
		return t, err
	}
	p.Seconds = t.Took.Seconds()
	ended := time.Now()
	for deadline := ended.Add(time.Minute); time.Now().Before(deadline); time.Sleep(5 * time.Millisecond) {
		if st := e.plat.Poller.Stats(); st.Succeeded+st.Failed >= st.Received {
			break
		}
	}
	p.Detail = platformDetail(t, before, e.plat.Poller.Stats())
	p.Detail["invocations_returned_after_end_seconds"] = round4(time.Since(ended).Seconds())
	p.Detail["polls"] = t.Polls
	return t, nil
}

// round copies src with every tool into fresh targets, then times the
// unchanged re-runs, then deletes the copies.
func (e *comparison) round(ctx context.Context, round int, src source) error {
	rt := newRoundTargets(src, round)
	copies, reruns, free := e.copies(ctx, rt), e.reruns(ctx, rt), e.frees(ctx, rt)
	// Each tool copies, re-runs and has its copy deleted before the next
	// starts, so every phase finds the local S3 (which shares the
	// benchmark's process and heap with the platform) holding the source
	// alone: a platform copy timed while two other tools' copies (1 GB)
	// sat in that heap took up to twice as long.
	for _, t := range rotate(e.cfg.Tools, max(round-1, 0)) {
		for _, step := range []func() error{copies[t], reruns[t], free[t]} {
			if err := step(); err != nil {
				return err
			}
		}
	}
	return reruns["list"]()
}

// roundTargets are where a round's tools copy src to; schedule is the
// platform's, set by its copy and run again by its re-run.
type roundTargets struct {
	round                    int
	src                      source
	name, s5Bucket, rcBucket string
	dlzPrefix                string
	schedule                 string
}

func newRoundTargets(src source, round int) *roundTargets {
	name := fmt.Sprintf("%s-r%d", src.bucket, round)
	return &roundTargets{round: round, src: src, name: name, s5Bucket: name + "-s5cmd", rcBucket: name + "-rclone",
		dlzPrefix: datasetDom + "/" + name + "/"}
}

// copies are each tool's timed copy into a fresh target, checked.
func (e *comparison) copies(ctx context.Context, rt *roundTargets) map[string]func() error {
	round, src := rt.round, rt.src
	return map[string]func() error{
		ToolPlatform: func() error {
			var err error
			if rt.schedule, err = e.api.Dataset(ctx, src.connection, datasetDom, rt.name); err != nil {
				return err
			}
			return e.measure(round, KindCopy, RowPlatform, src, func(p *Phase) error {
				t, err := e.platformRun(ctx, p, rt.schedule)
				if err != nil {
					return err
				}
				if t.Record["State"] != "succeeded" || Num(t.Record, "Copied") != int64(src.totals.Objects) {
					return fmt.Errorf("run did not copy every object: %v", t.Record)
				}
				return e.verify(ctx, src, e.plat.Names.DLZBucket, rt.dlzPrefix)
			})
		},
		ToolS5cmd: func() error {
			if err := e.s3.CreateBucket(ctx, rt.s5Bucket); err != nil {
				return err
			}
			return e.measure(round, KindCopy, RowS5cmdCp, src, func(p *Phase) error {
				r, err := e.s5.Copy(ctx, src.bucket, rt.s5Bucket)
				if err := toolPhase(p, r, err); err != nil {
					return err
				}
				return e.verify(ctx, src, rt.s5Bucket, "")
			})
		},
		ToolRclone: func() error {
			if err := e.s3.CreateBucket(ctx, rt.rcBucket); err != nil {
				return err
			}
			return e.measure(round, KindCopy, RowRcloneCopy, src, func(p *Phase) error {
				r, err := e.rc.Copy(ctx, src.bucket, rt.rcBucket)
				if err := toolPhase(p, r, err); err != nil {
					return err
				}
				return e.verify(ctx, src, rt.rcBucket, "")
			})
		},
	}
}

// reruns are each tool's timed re-run over its unchanged copy, and the
// bare listing ("list").
func (e *comparison) reruns(ctx context.Context, rt *roundTargets) map[string]func() error {
	round, src := rt.round, rt.src
	return map[string]func() error{
		ToolPlatform: func() error {
			return e.measure(round, KindRerun, RowPlatformRerun, src, func(p *Phase) error {
				t, err := e.platformRun(ctx, p, rt.schedule)
				if err != nil {
					return err
				}
				if t.Record["State"] != "succeeded" || Num(t.Record, "SkippedUnchanged") != int64(src.totals.Objects) || Num(t.Record, "Copied") != 0 {
					return fmt.Errorf("re-run did not skip every object: %v", t.Record)
				}
				return nil
			})
		},
		ToolS5cmd: func() error {
			return e.measure(round, KindRerun, RowS5cmdSync, src, func(p *Phase) error {
				r, err := e.s5.Sync(ctx, src.bucket, rt.s5Bucket)
				return toolPhase(p, r, err)
			})
		},
		ToolRclone: func() error {
			return e.measure(round, KindRerun, RowRcloneSync, src, func(p *Phase) error {
				r, err := e.rc.SyncChecksum(ctx, src.bucket, rt.rcBucket)
				return toolPhase(p, r, err)
			})
		},
		"list": func() error {
			return e.measure(round, KindRerun, RowListWalk, src, func(p *Phase) error {
				got, err := e.s3.Count(ctx, src.bucket, "")
				if err == nil && got != src.totals {
					err = fmt.Errorf("listed %d objects, %d bytes; seeded %d, %d", got.Objects, got.Bytes, src.totals.Objects, src.totals.Bytes)
				}
				return err
			})
		},
	}
}

// frees delete each tool's copy.
func (e *comparison) frees(ctx context.Context, rt *roundTargets) map[string]func() error {
	return map[string]func() error{
		ToolPlatform: func() error { return e.s3.Empty(ctx, e.plat.Names.DLZBucket, rt.dlzPrefix) },
		ToolS5cmd:    func() error { return e.s3.Remove(ctx, rt.s5Bucket) },
		ToolRclone:   func() error { return e.s3.Remove(ctx, rt.rcBucket) },
	}
}

func notes(cfg Config) []string {
	return []string{
		"All tools copy server-side on one local S3 endpoint (infra/local/s3local, in the benchmark's own process) with the platform's credentials.",
		"The platform's time runs from POST /schedules/{id}/run to the first poll (every poll interval, one GetItem of the run's record: GET /runs/{id} would add three DynamoDB reads per poll) that shows the run ended; it includes planning, SQS, the workers' CopyObject per file (the dataset's FileType is others: nothing to validate, so straight to the DLZ), and the catalog and counter writes in DynamoDB Local.",
		"s5cmd and rclone times are wall times of their processes, start-up included; they write no catalog.",
		"Before the rounds every tool copies and re-runs a bucket of its own once (warmup_objects, warmup_phases; not in the summary): connection pools and caches are warm, as on a platform in use, and so is DynamoDB Local's JIT, which takes tens of thousands of writes to settle (its CPU for a 10,000-object copy falls from about 17 s cold to under 5 s after 40,000 objects; DynamoDB itself is never cold).",
		"Tools rotate order every round; each copies, re-runs, and has its copy deleted before the next tool starts, so every phase starts with the local S3 holding the source alone. Between phases the benchmark runs a GC and waits 300 ms.",
		"vs_s5cmd = s5cmd's median time for the same kind (cp for copies, sync for re-runs) / the row's median time: above 1 is faster than s5cmd; vs_rclone likewise against rclone copy / rclone sync --checksum.",
	}
}

func rotate(s []string, n int) []string {
	if len(s) == 0 {
		return nil
	}
	n %= len(s)
	return append(slices.Clone(s[n:]), s[:n]...)
}

func round4(v float64) float64 { return float64(int64(v*10000+0.5)) / 10000 }

// WriteJSON writes res, indented, to path (creating its folder).
func WriteJSON(path string, res *Results) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	b, err := json.MarshalIndent(res, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(path, append(b, '\n'), 0o644)
}
