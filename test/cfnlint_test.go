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
// configuration, the Studio templates' included: no error and no warning
// (informational findings are allowed). Each Studio template is published as YAML
// written from its JSON, which cfn-lint lints: the YAML passes when cfn-lint's own
// decoder, which reads YAML as CloudFormation does, reads it as that very template
// (the same rules would find the same things in it again).
func TestTemplatesAreCfnLintClean(t *testing.T) {
	venv := filepath.Join(testutil.RepoRoot(), ".venv", "bin")
	var templates, published []string
	for name := range configurations {
		s := synthesizedConfig(t, name)
		for file := range s.templates {
			templates = append(templates, filepath.Join(s.dir, file))
		}
		published = append(published, s.yaml...)
	}
	sort.Strings(templates)
	require.NotEmpty(t, templates)
	require.NotEmpty(t, published, "the Studio configurations publish YAML")
	args := append([]string{"--format", "parseable", "--non-zero-exit-code", "warning", "--"}, templates...)
	out, err := exec.Command(filepath.Join(venv, "cfn-lint"), args...).CombinedOutput()
	require.NoError(t, err, "cfn-lint (installed by make test into .venv) reported:\n%s", out)

	out, err = exec.Command(filepath.Join(venv, "python"), append([]string{"-c", readsAsItsTemplate}, published...)...).CombinedOutput()
	require.NoError(t, err, "the published YAML is not the linted template:\n%s", out)
}

// readsAsItsTemplate fails unless each YAML file given decodes, with cfn-lint's
// decoder and without a finding, to a JSON template beside it (compared as canonical
// JSON, so that true is not 1, 1.0 not 1, and a date read from an unquoted
// 2012-10-17 not the string).
const readsAsItsTemplate = `
import glob, json, os, sys
from cfnlint.decode import decode

canonical = lambda t: json.dumps(t, sort_keys=True, default=repr)
failed = False
for path in sys.argv[1:]:
    template, matches = decode(path)
    beside = {canonical(json.load(open(f))) for f in glob.glob(os.path.join(os.path.dirname(path), "*.template.json"))}
    if matches or template is None or canonical(template) not in beside:
        print("{}: {}".format(path, matches or "reads as no template beside it"))
        failed = True
sys.exit(1 if failed else 0)
`
