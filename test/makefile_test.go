package test

import (
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/sagemaker-mlops-cdk/mlops/internal/testutil"
)

// `make deps` installs every tool the tests use, the SageMaker containers' venvs
// included, so that `make test` after it (what `make bench` times) installs nothing:
// the prerequisites of deps, as make reads them, are those of test-python and more.
func TestMakeDepsInstallsEveryToolOfTheTests(t *testing.T) {
	// -p prints make's database (rules with their prerequisites expanded); -q runs
	// nothing and exits 1 when a target is out of date, which is no error here.
	out, _ := makeCommand("-pnq", "-C", testutil.RepoRoot(), "deps").Output()
	prerequisites := func(target string) []string {
		m := regexp.MustCompile("(?m)^" + target + ":(.*)$").FindStringSubmatch(string(out))
		if m == nil {
			t.Fatalf("make's database has no rule %s", target)
		}
		return strings.Fields(m[1])
	}
	deps := prerequisites("deps")
	for _, tool := range prerequisites("test-python") {
		assert.Contains(t, deps, tool, "make deps does not install what test-python needs")
	}
	assert.Contains(t, deps, ".tools/container-sklearn-1.9-0/.installed")
}
