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

	"github.com/sagemaker-mlops-cdk/mlops/internal/gitfiles"
	"github.com/sagemaker-mlops-cdk/mlops/internal/testutil"
	"github.com/sagemaker-mlops-cdk/mlops/seedcode"
)

// seedAssets maps each CodeCommit repository of the default synthesis to the asset
// directory its seed commit is made from.
func seedAssets(t *testing.T) map[string]string { return seedAssetsOf(t, "default") }

// seedAssetsOf is seedAssets for the named configuration.
func seedAssetsOf(t *testing.T, config string) map[string]string {
	s := synthesizedConfig(t, config)
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
	// Each seed is its directory's files under version control, nothing the
	// working tree holds besides (a binary built by hand, a report).
	for repo, seed := range map[string]string{
		"sagemaker-abalone-p-abalonedemo1-modelbuild":  "seedcode/modelbuild",
		"sagemaker-abalone-p-abalonedemo1-modeldeploy": "seedcode/modeldeploy",
	} {
		var own []string
		for _, f := range files(t, assets[repo]) {
			if !strings.HasPrefix(f, seedcode.LibraryDir+"/") && f != seedcode.ManifestFile {
				own = append(own, f)
			}
		}
		tracked, err := gitfiles.Seed(filepath.Join(testutil.RepoRoot(), seed))
		require.NoError(t, err)
		assert.ElementsMatch(t, tracked, own, repo)
	}
}

// The deploy seed carries, below third_party/mlops, the library's go.mod and go.sum
// and the source of exactly the packages `go list -deps` says it compiles, tests
// included: the endpoint stack and what defines it, none of the ModelBuild,
// ModelDeploy, repository, Studio or seed code packages.
func TestTheDeploySeedCarriesOnlyThePackagesOfTheEndpointStack(t *testing.T) {
	cmd := exec.Command("go", "list", "-deps", "-test", "-f", "{{if .Module}}{{if eq .Module.Path \"github.com/sagemaker-mlops-cdk/mlops\"}}{{.ImportPath}}{{end}}{{end}}", "./...")
	cmd.Dir = filepath.Join(testutil.RepoRoot(), "seedcode", "modeldeploy")
	out, err := cmd.Output()
	require.NoError(t, err)
	want := map[string]bool{}
	for _, path := range strings.Fields(string(out)) {
		want[strings.TrimPrefix(path, "github.com/sagemaker-mlops-cdk/mlops/")] = true
	}
	for _, forbidden := range []string{"constructs/modelbuild", "constructs/modeldeploy", "constructs/source", "constructs/registry", "constructs/studio", "seedcode", "stacks"} {
		assert.NotContains(t, want, forbidden, "the deploy seed must not depend on %s", forbidden)
	}
	assert.Contains(t, want, "stacks/endpointstack")

	library := filepath.Join(seedAssets(t)["sagemaker-abalone-p-abalonedemo1-modeldeploy"], seedcode.LibraryDir)
	got := map[string]bool{}
	for _, f := range files(t, library) {
		switch {
		case f == "go.mod" || f == "go.sum":
		case strings.HasSuffix(f, ".go") && !strings.HasSuffix(f, "_test.go"):
			got[filepath.ToSlash(filepath.Dir(f))] = true
		default:
			t.Errorf("the bundled library holds only what compiling it needs, not %s", f)
		}
	}
	assert.Equal(t, want, got)
	assert.FileExists(t, filepath.Join(library, "go.mod"))
	assert.FileExists(t, filepath.Join(library, "go.sum"))
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

// The ModelBuild repository starts with the project's pipeline instance types as the
// defaults pipeline.py declares (a configuration that sets one, and one that does not).
func TestTheModelBuildSeedDeclaresTheProjectsInstanceTypes(t *testing.T) {
	pipeline := func(config, repo string) string {
		data, err := os.ReadFile(filepath.Join(seedAssetsOf(t, config)[repo], filepath.FromSlash(seedcode.PipelineFile)))
		require.NoError(t, err)
		return string(data)
	}
	custom := pipeline("multiaccount", "sagemaker-abalone-p-abalonedemo1-modelbuild")
	assert.Contains(t, custom, `name="ProcessingInstanceType", default_value="ml.c5.2xlarge"`)
	assert.Contains(t, custom, `name="TrainingInstanceType", default_value="ml.m5.xlarge"`)
	assert.Contains(t, pipeline("default", "sagemaker-abalone-p-abalonedemo1-modelbuild"), `name="ProcessingInstanceType", default_value="ml.m5.xlarge"`)
}
