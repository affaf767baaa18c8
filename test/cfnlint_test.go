package test

import (
	"os/exec"
	"path/filepath"
	"sort"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/sagemaker-mlops-cdk/mlops/internal/testutil"
)

// TestTemplatesAreCfnLintClean runs cfn-lint once over every template of every
// configuration, the Studio templates' JSON and their published YAML included: no
// error and no warning (informational findings are allowed).
func TestTemplatesAreCfnLintClean(t *testing.T) {
	cfnLint := filepath.Join(testutil.RepoRoot(), ".venv", "bin", "cfn-lint")
	var templates []string
	for name := range configurations {
		s := synthesizedConfig(t, name)
		for file := range s.templates {
			templates = append(templates, filepath.Join(s.dir, file))
		}
		templates = append(templates, s.yaml...)
	}
	sort.Strings(templates)
	require.NotEmpty(t, templates)
	args := append([]string{"--format", "parseable", "--non-zero-exit-code", "warning", "--"}, templates...)
	out, err := exec.Command(cfnLint, args...).CombinedOutput()
	require.NoError(t, err, "cfn-lint (installed by make test into .venv) reported:\n%s", out)
}
