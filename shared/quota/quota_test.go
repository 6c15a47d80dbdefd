package quota

import (
	"strings"
	"testing"

	"github.com/datalake-platform/s3connections/shared/apperr"
	"github.com/datalake-platform/s3connections/shared/platform"
)

func TestLimitsDefaultAndSettings(t *testing.T) {
	env := map[string]string{platform.EnvMaxConnectionsPerUser: "7", platform.EnvMaxSchedulesPerUser: "nonsense"}
	settings := platform.Settings{Optional: []string{platform.EnvMaxConnectionsPerUser, platform.EnvMaxDatasetsPerUser, platform.EnvMaxSchedulesPerUser}}
	cfg, err := settings.Read(func(name string) string { return env[name] })
	if err != nil {
		t.Fatal(err)
	}
	l := FromConfig(cfg)
	for k, want := range map[Kind]int{Connections: 7, Datasets: DefaultDatasets, Schedules: DefaultSchedules} {
		if got := l.Of(k); got != want {
			t.Errorf("limit of %s: %d, want %d", k.Name, got, want)
		}
	}
	if got := (Limits{}).Of(Connections); got != DefaultConnections {
		t.Errorf("unset connections limit: %d, want %d", got, DefaultConnections)
	}
}

func TestAllowsBelowTheLimitOnly(t *testing.T) {
	l := Limits{Schedules: 2}
	for owned, want := range map[int64]bool{0: true, 1: true, 2: false, 3: false} {
		if got := l.Allows(Schedules, owned); got != want {
			t.Errorf("owning %d of 2 schedules, Allows = %v", owned, got)
		}
	}
}

func TestExceededIsAConflictNamingTheLimitAndTheSetting(t *testing.T) {
	err := Limits{Datasets: 3}.Exceeded(Datasets)
	if apperr.KindOf(err) != apperr.KindConflict {
		t.Fatalf("%v is not a conflict", err)
	}
	for _, want := range []string{"3 datasets", "MAX_DATASETS_PER_USER"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("%q does not say %q", err, want)
		}
	}
}
