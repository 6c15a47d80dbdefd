package bench

import (
	"bufio"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
)

// Machine describes where a benchmark ran.
type Machine struct {
	Cores        int    `json:"cores"`
	CPU          string `json:"cpu"`
	MemTotal     string `json:"mem_total"`
	Kernel       string `json:"kernel"`
	GoVersion    string `json:"go_version"`
	GOOS         string `json:"goos"`
	GOARCH       string `json:"goarch"`
	LoadAvgStart string `json:"loadavg_start"` // /proc/loadavg when the benchmark began
	LoadAvgEnd   string `json:"loadavg_end"`
}

// ThisMachine reads the machine's description (LoadAvgEnd is left empty).
func ThisMachine() Machine {
	return Machine{
		Cores:        runtime.NumCPU(),
		CPU:          procField("/proc/cpuinfo", "model name"),
		MemTotal:     procField("/proc/meminfo", "MemTotal"),
		Kernel:       strings.TrimSpace(readFile("/proc/sys/kernel/osrelease")),
		GoVersion:    runtime.Version(),
		GOOS:         runtime.GOOS,
		GOARCH:       runtime.GOARCH,
		LoadAvgStart: LoadAvg(),
	}
}

// LoadAvg is /proc/loadavg as it reads.
func LoadAvg() string { return strings.TrimSpace(readFile("/proc/loadavg")) }

// Load1 is the one-minute load average, or -1.
func Load1() float64 {
	f := strings.Fields(LoadAvg())
	if len(f) == 0 {
		return -1
	}
	v, err := strconv.ParseFloat(f[0], 64)
	if err != nil {
		return -1
	}
	return v
}

func readFile(name string) string {
	b, _ := os.ReadFile(name)
	return string(b)
}

// procField returns the value of the first "name: value" line of a /proc file.
func procField(file, name string) string {
	f, err := os.Open(file)
	if err != nil {
		return ""
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		k, v, ok := strings.Cut(sc.Text(), ":")
		if ok && strings.TrimSpace(k) == name {
			return strings.TrimSpace(v)
		}
	}
	return ""
}

// clockTicks is Linux's USER_HZ, the unit of /proc/<pid>/stat times.
const clockTicks = 100

// CPUTimes returns the CPU seconds (user + system) used so far by this
// process ("self": the local S3, SQS, Lambda runtime, event source and
// gateway, and the functions unless they run in sandboxes) and by each of
// its descendant processes, named by command ("dynamodb" for DynamoDB
// Local's java, "kms" for local-kms, "rie" for aws-lambda-rie, and
// "fn:<function>" for a function's bootstrap, named by its folder). Not
// Linux: empty.
func CPUTimes() map[string]float64 {
	type proc struct {
		ppid int
		comm string
		cpu  float64
	}
	procs := map[int]proc{}
	dirs, _ := filepath.Glob("/proc/[0-9]*")
	for _, d := range dirs {
		pid, err := strconv.Atoi(filepath.Base(d))
		if err != nil {
			continue
		}
		if p, ok := readStat(filepath.Join(d, "stat")); ok {
			procs[pid] = proc{p.ppid, p.comm, p.cpu}
		}
	}
	self := os.Getpid()
	out := map[string]float64{}
	if p, ok := procs[self]; ok {
		out["self"] = p.cpu
	}
	children := map[int][]int{}
	for pid, p := range procs {
		children[p.ppid] = append(children[p.ppid], pid)
	}
	queue := append([]int(nil), children[self]...)
	for len(queue) > 0 {
		pid := queue[0]
		queue = queue[1:]
		queue = append(queue, children[pid]...)
		p := procs[pid]
		name := p.comm
		switch name {
		case "java":
			name = "dynamodb"
		case "local-kms":
			name = "kms"
		case "aws-lambda-rie":
			name = "rie"
		case "bootstrap":
			if exe, err := os.Readlink(fmt.Sprintf("/proc/%d/exe", pid)); err == nil {
				name = "fn:" + filepath.Base(filepath.Dir(exe))
			}
		}
		out[name] += p.cpu
	}
	return out
}

type stat struct {
	ppid int
	comm string
	cpu  float64
}

// readStat parses /proc/<pid>/stat: the command sits in parentheses and may
// hold spaces; ppid, utime and stime follow it.
func readStat(name string) (stat, bool) {
	b, err := os.ReadFile(name)
	if err != nil {
		return stat{}, false
	}
	s := string(b)
	open, close := strings.IndexByte(s, '('), strings.LastIndexByte(s, ')')
	if open < 0 || close < open {
		return stat{}, false
	}
	f := strings.Fields(s[close+1:])
	if len(f) < 13 {
		return stat{}, false
	}
	ppid, _ := strconv.Atoi(f[1])
	utime, _ := strconv.ParseFloat(f[11], 64)
	stime, _ := strconv.ParseFloat(f[12], 64)
	return stat{ppid: ppid, comm: s[open+1 : close], cpu: (utime + stime) / clockTicks}, true
}

// cpuDelta is after - before, per name.
func cpuDelta(before, after map[string]float64) map[string]float64 {
	d := map[string]float64{}
	for k, v := range after {
		if x := v - before[k]; x > 0.005 {
			d[k] = round2(x)
		}
	}
	return d
}

func round2(v float64) float64 { return float64(int64(v*100+0.5)) / 100 }
