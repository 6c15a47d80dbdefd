package e2e

import (
	"context"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/datalake-platform/s3connections/infra/local/platformlocal"
	"github.com/datalake-platform/s3connections/shared/quota"
)

// A second platform, on a data folder and with small quotas: the main one
// keeps everything in memory, and its users own more than these limits.
func TestQuotasAndThePrivateDataFolder(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "data")
	env := os.Environ()
	p, err := platformlocal.Start(context.Background(), platformlocal.Options{
		DataDir: dir, Seed: true, Log: slog.New(slog.NewJSONHandler(logs, nil)), EmulatorLog: io.Discard,
		Limits: quota.Limits{Connections: 2, Datasets: 1, Schedules: 1},
	})
	restoreEnv(env) // Start points the process's SDK variables at the second platform
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	callP := func(t *testing.T, user, method, path string, body any) (int, map[string]any) {
		t.Helper()
		tok, err := p.Token(user)
		if err != nil {
			t.Fatal(err)
		}
		status, out, _ := sendTo(t, p.APIURL, "Bearer "+tok, method, path, body)
		return status, out
	}
	t.Run("DataFolderIsTheOwnersAlone", func(t *testing.T) { wantPrivateTree(t, dir) })
	t.Run("AFullQuotaIs409UntilADelete", func(t *testing.T) { quotaUntilDelete(t, callP) })
	t.Run("ConcurrentCreatesStayWithinTheQuota", func(t *testing.T) { quotaUnderConcurrency(t, callP) })
}

type caller func(t *testing.T, user, method, path string, body any) (int, map[string]any)

func restoreEnv(env []string) {
	os.Clearenv()
	for _, kv := range env {
		k, v, _ := strings.Cut(kv, "=")
		os.Setenv(k, v)
	}
}

// wantPrivateTree checks that nothing under dir is open to group or others.
func wantPrivateTree(t *testing.T, dir string) {
	t.Helper()
	seen := 0
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		if info.Mode().Perm()&0o077 != 0 {
			t.Errorf("%s is %v: group or others may read it", path, info.Mode().Perm())
		}
		seen++
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"jwt-key.pem", "endpoints.env", "iam-roles.json", "s3", "dynamodb", "kms"} {
		if _, err := os.Stat(filepath.Join(dir, name)); err != nil {
			t.Errorf("the data folder lacks %s: %v", name, err)
		}
	}
	t.Logf("%d entries under the data folder, all the owner's alone", seen)
}

func quotaUntilDelete(t *testing.T, call caller) {
	mustCreateOn := func(path string, body map[string]any) string {
		t.Helper()
		status, out := call(t, "quota-user", "POST", path, body)
		if status != 201 {
			t.Fatalf("POST %s: %d %v", path, status, out)
		}
		id := map[string]string{"/connections": "ConnectionId", "/datasets": "DatasetId", "/schedules": "ScheduleId"}[path]
		return out[id].(string)
	}
	wantFull := func(path string, body map[string]any, setting string) {
		t.Helper()
		status, out := call(t, "quota-user", "POST", path, body)
		if status != 409 || !strings.Contains(fmt.Sprint(out), setting) {
			t.Fatalf("POST %s over the quota: %d %v, want 409 naming %s", path, status, out, setting)
		}
	}
	c1 := mustCreateOn("/connections", policyConn(platformlocal.DemoBucket))
	mustCreateOn("/connections", policyConn(platformlocal.DemoBucket))
	wantFull("/connections", policyConn(platformlocal.DemoBucket), "MAX_CONNECTIONS_PER_USER")
	if status, _ := call(t, "someone-else", "POST", "/connections", policyConn(platformlocal.DemoBucket)); status != 201 {
		t.Fatalf("another user's create: %d, want 201 (quotas are per user)", status)
	}
	if status, out := call(t, "quota-user", "DELETE", "/connections/"+c1, nil); status != 204 {
		t.Fatalf("delete: %d %v", status, out)
	}
	c3 := mustCreateOn("/connections", policyConn(platformlocal.DemoBucket))
	dataset := func() map[string]any {
		return map[string]any{"DatasetName": uniqueName("quota"), "Domain": "quota", "ConnectionId": c3, "FileType": "csv", "DirectoryPath": "q/"}
	}
	ds := mustCreateOn("/datasets", dataset())
	wantFull("/datasets", dataset(), "MAX_DATASETS_PER_USER")
	sch := mustCreateOn("/schedules", map[string]any{"ScheduleName": "q", "DatasetId": ds})
	wantFull("/schedules", map[string]any{"ScheduleName": "q2", "DatasetId": ds}, "MAX_SCHEDULES_PER_USER")
	if status, out := call(t, "quota-user", "DELETE", "/schedules/"+sch, nil); status != 204 {
		t.Fatalf("delete schedule: %d %v", status, out)
	}
	mustCreateOn("/schedules", map[string]any{"ScheduleName": "q3", "DatasetId": ds})
}

// Eight creates at once of a user with room for two: two 201s, six 409s.
func quotaUnderConcurrency(t *testing.T, call caller) {
	const n = 8
	statuses := make(chan int, n)
	var wg sync.WaitGroup
	for range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			status, _ := call(t, "quota-racer", "POST", "/connections", policyConn(platformlocal.DemoBucket))
			statuses <- status
		}()
	}
	wg.Wait()
	close(statuses)
	count := map[int]int{}
	for s := range statuses {
		count[s]++
	}
	if count[201] != 2 || count[409] != n-2 {
		t.Fatalf("statuses %v, want two 201 and %d 409", count, n-2)
	}
}
