package platform

import (
	"strings"
	"testing"
	"time"
)

// A function reads its settings and nothing else: a required one unset
// stops it, naming every missing variable; an undeclared one stays unset.
func TestSettingsRead(t *testing.T) {
	env := map[string]string{EnvTable: "t", EnvKMSKey: "k", EnvLZBucket: "lz", EnvPlannerBudget: "3m", "AWS_REGION": "eu-west-1"}
	getenv := func(name string) string { return env[name] }

	s := Settings{Required: []string{EnvTable, EnvKMSKey}, Optional: []string{EnvPlannerBudget}}
	cfg, err := s.Read(getenv)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Table != "t" || cfg.KMSKeyID != "k" || cfg.PlannerBudget != 3*time.Minute || cfg.Region != "eu-west-1" {
		t.Errorf("declared settings not read: %+v", cfg)
	}
	if cfg.LZBucket != "" {
		t.Errorf("undeclared %s read: %q", EnvLZBucket, cfg.LZBucket)
	}

	_, err = Settings{Required: []string{EnvTable, EnvDLZBucket, EnvTaskQueueURL}}.Read(getenv)
	if err == nil || !strings.Contains(err.Error(), EnvDLZBucket) || !strings.Contains(err.Error(), EnvTaskQueueURL) || strings.Contains(err.Error(), EnvTable) {
		t.Errorf("missing settings: %v", err)
	}
}

// Only is what a function's environment would give it: its own settings,
// read back, whatever else the platform's configuration holds.
func TestConfigOnly(t *testing.T) {
	full := Config{Region: "eu-west-1", Table: "t", KMSKeyID: "k", LZBucket: "lz", DLZBucket: "dlz", TaskQueueURL: "q",
		PlatformBuckets: []string{"a", "b"}, S3PathStyle: true, PlannerBudget: time.Minute, MaxReceiveCount: 5, PartSize: 1 << 20}
	got, err := full.Only(Settings{Required: []string{EnvTable, EnvPlatformBuckets}, Optional: []string{EnvS3PathStyle, EnvPartSize}})
	if err != nil {
		t.Fatal(err)
	}
	want := Config{Region: "eu-west-1", Table: "t", PlatformBuckets: []string{"a", "b"}, S3PathStyle: true, PartSize: 1 << 20}
	if got.Table != want.Table || strings.Join(got.PlatformBuckets, ",") != "a,b" || !got.S3PathStyle || got.PartSize != want.PartSize ||
		got.Region != want.Region || got.KMSKeyID != "" || got.LZBucket != "" || got.PlannerBudget != 0 || got.MaxReceiveCount != 0 {
		t.Errorf("Only = %+v, want %+v", got, want)
	}
	if _, err := (Config{}).Only(Settings{Required: []string{EnvTable}}); err == nil {
		t.Error("Only of a configuration without a required setting succeeded")
	}
}
