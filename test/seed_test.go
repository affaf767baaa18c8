package test

import (
	"encoding/json"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sagemaker-mlops-cdk/mlops/internal/testutil"
)

// seedAssets maps each CodeCommit repository of the default synthesis to the asset
// directory its seed commit is made from.
func seedAssets(t *testing.T) map[string]string {
	s := synthesizedConfig(t, "default")
	tpl := s.templates["Project.template.json"]
	out := map[string]string{}
	for _, repo := range tpl.Resources("AWS::CodeCommit::Repository") {
		key := repo.Properties["Code"].(map[string]any)["S3"].(map[string]any)["Key"].(string)
		dir := filepath.Join(s.dir, "asset."+strings.TrimSuffix(key, ".zip"))
		info, err := os.Stat(dir)
		require.NoError(t, err, "the seed asset of %s", repo.Properties["RepositoryName"])
		require.True(t, info.IsDir())
		out[repo.Properties["RepositoryName"].(string)] = dir
	}
	return out
}

func files(t *testing.T, dir string) []string {
	var out []string
	require.NoError(t, filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !d.IsDir() {
			rel, _ := filepath.Rel(dir, path)
			out = append(out, rel)
		}
		return nil
	}))
	return out
}

// TestSeedAssetsHoldTheCodeAndNothingElse: the repositories start with the seed code,
// without caches, virtual environments, build or synth output, or the development
// go.work that points the deploy seed at this repository.
func TestSeedAssetsHoldTheCodeAndNothingElse(t *testing.T) {
	assets := seedAssets(t)
	require.Len(t, assets, 2)
	forbidden := []string{"__pycache__", ".pyc", ".pytest_cache", ".egg-info", ".venv", "cdk.out", "go.work", "test-report.json", "/build/", "node_modules"}
	for repo, dir := range assets {
		got := files(t, dir)
		require.NotEmpty(t, got, repo)
		for _, f := range got {
			for _, bad := range forbidden {
				assert.NotContains(t, "/"+f, bad, "%s's seed holds %s", repo, f)
			}
		}
	}
	deploy := files(t, assets["sagemaker-abalone-p-abalonedemo1-modeldeploy"])
	for _, want := range []string{"buildspec.yml", "test-buildspec.yml", "main.go", "go.mod", "go.sum", "cdk.json", "staging-config.json", "prod-config.json", "samples/abalone-features.csv", "cmd/testgate/main.go"} {
		assert.Contains(t, deploy, want)
	}
	for _, want := range []string{"third_party/mlops/go.mod", "third_party/mlops/go.sum", "third_party/mlops/stacks/endpoint.go", "third_party/mlops/constructs/endpoint/endpoint.go"} {
		assert.Contains(t, deploy, want, "the deploy seed carries the library it is built with")
	}
	for _, f := range deploy {
		if strings.HasPrefix(f, "third_party/") {
			assert.True(t, strings.HasSuffix(f, ".go") && !strings.HasSuffix(f, "_test.go") || strings.HasSuffix(f, "/go.mod") || strings.HasSuffix(f, "/go.sum"),
				"the bundled library holds only what compiling it needs, not %s", f)
			assert.NotContains(t, f, "third_party/mlops/seedcode/modeldeploy/", "the seed does not carry itself")
			assert.NotContains(t, f, "third_party/mlops/test/")
		}
	}
	build := files(t, assets["sagemaker-abalone-p-abalonedemo1-modelbuild"])
	for _, want := range []string{"codebuild-buildspec.yml", "pyproject.toml", "pipelines/abalone/pipeline.py", "pipelines/abalone/preprocess.py", "pipelines/abalone/evaluate.py"} {
		assert.Contains(t, build, want)
	}
}

// TestBundledDeploySeedBuildsWithoutFetchingTheLibrary compiles the deploy seed exactly
// as the stack bundles it, outside this repository's go.work and with the module proxy
// off, as its buildspec's first command does: the bundled go.mod points the library at
// its bundled copy, and go.sum covers every module the build needs.
func TestBundledDeploySeedBuildsWithoutFetchingTheLibrary(t *testing.T) {
	dir := seedAssets(t)["sagemaker-abalone-p-abalonedemo1-modeldeploy"]
	mod, err := os.ReadFile(filepath.Join(dir, "go.mod"))
	require.NoError(t, err)
	assert.Contains(t, string(mod), "\nreplace github.com/sagemaker-mlops-cdk/mlops => ./third_party/mlops\n")

	cmd := exec.Command("go", "vet", "./...")
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "GOWORK=off", "GOFLAGS=-mod=mod", "GOPROXY=off", "GOTOOLCHAIN=local")
	out, err := cmd.CombinedOutput()
	require.NoError(t, err, "go vet of the bundled deploy seed:\n%s", out)
}

// TestDeploySeedSynthesizesLikeTheApp: the deploy seed uses the app's feature flags and
// the library of this repository in development.
func TestDeploySeedSynthesizesLikeTheApp(t *testing.T) {
	root := testutil.RepoRoot()
	read := func(path string) map[string]any {
		data, err := os.ReadFile(filepath.Join(root, path))
		require.NoError(t, err)
		var v struct {
			Context map[string]any `json:"context"`
		}
		require.NoError(t, json.Unmarshal(data, &v))
		return v.Context
	}
	assert.Equal(t, read("cdk.json"), read("seedcode/modeldeploy/cdk.json"), "the deploy seed's feature flags drifted from the app's")
	work, err := os.ReadFile(filepath.Join(root, "seedcode/modeldeploy/go.work"))
	require.NoError(t, err)
	assert.Contains(t, string(work), "replace github.com/sagemaker-mlops-cdk/mlops => ../..")
	mod, err := os.ReadFile(filepath.Join(root, "seedcode/modeldeploy/go.mod"))
	require.NoError(t, err)
	assert.Contains(t, string(mod), "github.com/sagemaker-mlops-cdk/mlops v")
	assert.NotContains(t, string(mod), "replace", "a replace would break the seed outside this repository")
}
