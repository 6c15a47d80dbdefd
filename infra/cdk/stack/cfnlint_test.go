package stack

import (
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// commercialRegions are the regions of the aws partition that cfn-lint
// 1.x knows (its cfnlint.helpers.REGIONS, less China, GovCloud, ISO and the
// European Sovereign Cloud): the template must deploy in each.
var commercialRegions = []string{
	"af-south-1", "ap-east-1", "ap-east-2", "ap-northeast-1", "ap-northeast-2", "ap-northeast-3", "ap-south-1", "ap-south-2",
	"ap-southeast-1", "ap-southeast-2", "ap-southeast-3", "ap-southeast-4", "ap-southeast-5", "ap-southeast-6", "ap-southeast-7",
	"ca-central-1", "ca-west-1", "eu-central-1", "eu-central-2", "eu-north-1", "eu-south-1", "eu-south-2", "eu-west-1",
	"eu-west-2", "eu-west-3", "il-central-1", "me-central-1", "me-south-1", "mx-central-1", "sa-east-1", "us-east-1",
	"us-east-2", "us-west-1", "us-west-2",
}

// cfnLintAccepted are the findings that are not the template's to fix:
// W3005, CDK's DependsOn of a function on its role beside the GetAtt that
// already orders them; E3006, a resource type absent from a region (a
// service not offered there yet, such as HTTP APIs in the newest regions),
// which no template can change. Every E3006 is logged with its region.
var cfnLintAccepted = []string{"W3005", "E3006"}

// The synthesized template passes cfn-lint in every commercial region,
// when cfn-lint is on PATH (it comes from PyPI, which this project's
// machines may not reach: the test says so and skips).
func TestTemplatePassesCfnLint(t *testing.T) {
	bin, err := exec.LookPath("cfn-lint")
	if err != nil {
		t.Skip("cfn-lint is not on PATH: the template was NOT linted (pip install cfn-lint to run this test)")
	}
	raw, err := json.MarshalIndent(platformTpl.ToJSON(), "", " ")
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "s3connections.template.json")
	if err := os.WriteFile(path, raw, 0o644); err != nil {
		t.Fatal(err)
	}
	args := append([]string{"--format", "parseable", "--regions"}, commercialRegions...)
	// cfn-lint exits non-zero on any finding: the findings decide.
	out, err := exec.Command(bin, append(args, "--", path)...).CombinedOutput()
	var exit *exec.ExitError
	if err != nil && !errors.As(err, &exit) {
		t.Fatalf("cfn-lint: %v\n%s", err, out)
	}
	absent := map[string]bool{}
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		if line == "" {
			continue
		}
		// file:line:col:endline:endcol:RULE:message
		parts := strings.SplitN(strings.TrimPrefix(line, path), ":", 7)
		if len(parts) < 7 {
			t.Errorf("cfn-lint: %s", line)
			continue
		}
		rule, msg := parts[5], parts[6]
		if !slices.Contains(cfnLintAccepted, rule) {
			t.Errorf("cfn-lint %s at line %s: %s", rule, parts[1], msg)
		}
		if rule == "E3006" {
			absent[msg] = true
		}
	}
	for msg := range absent {
		t.Logf("cfn-lint E3006 (not deployable there until AWS offers it): %s", msg)
	}
}
