package functions

import (
	"path/filepath"
	"slices"
	"testing"

	"github.com/datalake-platform/s3connections/shared/ingest"
	"github.com/datalake-platform/s3connections/shared/platform"
)

// Every folder under functions/ has a spec (or the stack could not deploy
// it), every spec a folder, and names are unique.
func TestEveryFunctionHasASpec(t *testing.T) {
	mains, _ := filepath.Glob(filepath.Join("..", "..", "..", "functions", "*", "main.go"))
	var dirs, specs []string
	for _, m := range mains {
		dirs = append(dirs, filepath.Base(filepath.Dir(m)))
	}
	physical := map[string]bool{}
	for _, f := range Deployed() {
		specs = append(specs, f.Name)
		name := f.FunctionName(platform.NamesFor("123456789012", "eu-west-1"))
		if physical[name] || len(name) <= len(platform.Prefix) || name[:len(platform.Prefix)] != platform.Prefix {
			t.Errorf("function %s: physical name %q is a duplicate or lacks the %s prefix", f.Name, name, platform.Prefix)
		}
		physical[name] = true
		if f.Timeout <= 0 || f.MemoryMiB < 128 || len(f.Env.Required) == 0 {
			t.Errorf("function %s: timeout %v, memory %d, env %v", f.Name, f.Timeout, f.MemoryMiB, f.Env)
		}
	}
	slices.Sort(dirs)
	slices.Sort(specs)
	if unique := slices.Compact(slices.Clone(specs)); len(unique) != len(specs) {
		t.Errorf("function names %v are not unique", specs)
	}
	for _, d := range dirs {
		if _, ok := ByName(d); !ok {
			t.Errorf("functions/%s has no spec", d)
		}
	}
	for _, f := range Deployed() {
		if !slices.Contains(dirs, f.Name) {
			t.Errorf("spec %s is deployed but functions/%s does not exist", f.Name, f.Name)
		}
	}
}

// The planner's time budget and hand-over margin fit its Lambda timeout.
func TestPlannerBudgetFitsItsTimeout(t *testing.T) {
	if PlannerTimeBudget+ingest.DefaultMargin >= PlannerTimeout || Planner().OverTime >= PlannerTimeout {
		t.Errorf("budget %v + margin %v (alarm at %v) must be under the timeout %v",
			PlannerTimeBudget, ingest.DefaultMargin, Planner().OverTime, PlannerTimeout)
	}
	if !slices.Contains(Planner().Env.Names(), platform.EnvPlannerBudget) {
		t.Errorf("the planner must receive %s", platform.EnvPlannerBudget)
	}
}
