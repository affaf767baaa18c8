package test

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sagemaker-mlops-cdk/mlops/internal/testutil"
	"github.com/sagemaker-mlops-cdk/mlops/seedcode"
	"github.com/sagemaker-mlops-cdk/mlops/version"
)

// oldRepository is a ModelDeploy checkout as an older library would have seeded it,
// that its team then changed: seeded by this library, then aged by hand. Its
// manifest records the older version and the older content of README.md and of a
// file the seed no longer has; the team edited staging-config.json and added a file
// of its own; the bundled library is older and holds a package the seed no longer
// needs.
func oldRepository(t *testing.T) string {
	dir := t.TempDir()
	require.NoError(t, seedcode.Code(seedcode.ModelDeploy).WriteTo(dir))
	write := func(rel, content string) {
		path := filepath.Join(dir, filepath.FromSlash(rel))
		require.NoError(t, os.MkdirAll(filepath.Dir(path), 0o755))
		require.NoError(t, os.WriteFile(path, []byte(content), 0o644))
	}
	manifestPath := filepath.Join(dir, filepath.FromSlash(seedcode.ManifestFile))
	var m seedcode.Manifest
	data, err := os.ReadFile(manifestPath)
	require.NoError(t, err)
	require.NoError(t, json.Unmarshal(data, &m))
	m.Version = "v0.1.0"
	for rel, content := range map[string]string{"README.md": "# ModelDeploy (v0.1.0)\n", "tools/old-helper.sh": "echo old\n"} {
		write(rel, content)
		m.Files[rel] = digestOf(t, filepath.Join(dir, filepath.FromSlash(rel)))
	}
	data, err = json.Marshal(m)
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(manifestPath, data, 0o644))

	write("staging-config.json", `{"instanceType": "ml.c5.xlarge"}`+"\n")
	write("notes/team.md", "our own notes\n")
	write(seedcode.LibraryDir+"/version/version.go", "package version\n\nconst Version = \"v0.1.0\"\n")
	write(seedcode.LibraryDir+"/constructs/modelbuild/modelbuild.go", "package modelbuild\n")
	return dir
}

func digestOf(t *testing.T, path string) string {
	data, err := os.ReadFile(path)
	require.NoError(t, err)
	sum := sha256.Sum256(data)
	return "sha256:" + hex.EncodeToString(sum[:])
}

// The documented upgrade command moves an old ModelDeploy checkout to this library:
// the bundled library is replaced by exactly the packages the code imports, the seed
// files the team did not change are brought up to date, the ones it changed are
// kept with the new version beside them, its own files are untouched, and the result
// builds offline.
func TestTheUpgradeCommandMovesAModelDeployCheckoutToThisLibrary(t *testing.T) {
	repo := oldRepository(t)
	cmd := exec.Command("go", "run", "./cmd/upgrade-modeldeploy", repo)
	cmd.Dir = testutil.RepoRoot()
	out, err := cmd.CombinedOutput()
	require.NoError(t, err, "%s", out)
	report := string(out)
	assert.Contains(t, report, "sagemaker-mlops-cdk v0.1.0 -> "+version.Version)
	assert.Contains(t, report, "updated  README.md")
	assert.Contains(t, report, "removed  tools/old-helper.sh")
	assert.Contains(t, report, "kept     staging-config.json (yours; merge the new version from staging-config.json.upgrade, then delete it)")
	assert.NotContains(t, report, "notes/team.md")

	read := func(rel string) string {
		data, err := os.ReadFile(filepath.Join(repo, filepath.FromSlash(rel)))
		require.NoError(t, err, rel)
		return string(data)
	}
	shipped := t.TempDir()
	require.NoError(t, seedcode.Code(seedcode.ModelDeploy).WriteTo(shipped))
	readShipped := func(rel string) string {
		data, err := os.ReadFile(filepath.Join(shipped, filepath.FromSlash(rel)))
		require.NoError(t, err, rel)
		return string(data)
	}
	assert.Equal(t, readShipped("README.md"), read("README.md"))
	assert.Equal(t, `{"instanceType": "ml.c5.xlarge"}`+"\n", read("staging-config.json"))
	assert.Equal(t, readShipped("staging-config.json"), read("staging-config.json.upgrade"))
	assert.Equal(t, "our own notes\n", read("notes/team.md"))
	assert.NoFileExists(t, filepath.Join(repo, "tools", "old-helper.sh"))
	assert.Equal(t, readShipped(seedcode.LibraryDir+"/version/version.go"), read(seedcode.LibraryDir+"/version/version.go"))
	assert.NoDirExists(t, filepath.Join(repo, seedcode.LibraryDir, "constructs", "modelbuild"))
	assert.Equal(t, files(t, filepath.Join(shipped, seedcode.LibraryDir)), files(t, filepath.Join(repo, seedcode.LibraryDir)))
	assert.Equal(t, readShipped(seedcode.ManifestFile), read(seedcode.ManifestFile), "the manifest records the new seed")

	// The team's staging settings are valid, so the upgraded code builds as is.
	vet := exec.Command("go", "vet", "./...")
	vet.Dir = repo
	vet.Env = append(os.Environ(), "GOWORK=off", "GOFLAGS=-mod=mod", "GOPROXY=off", "GOTOOLCHAIN=local")
	out, err = vet.CombinedOutput()
	require.NoError(t, err, "go vet of the upgraded checkout:\n%s", out)
}

// The command refuses a directory that is no ModelDeploy checkout, changing nothing.
func TestTheUpgradeCommandRefusesOtherDirectories(t *testing.T) {
	dir := t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(dir, "go.mod"), []byte("module other\n"), 0o644))
	cmd := exec.Command("go", "run", "./cmd/upgrade-modeldeploy", dir)
	cmd.Dir = testutil.RepoRoot()
	out, err := cmd.CombinedOutput()
	require.Error(t, err)
	assert.Contains(t, string(out), "is not a ModelDeploy repository of github.com/sagemaker-mlops-cdk/mlops: its go.mod has no line `replace github.com/sagemaker-mlops-cdk/mlops => ./third_party/mlops`")
	assert.Equal(t, []string{"go.mod"}, files(t, dir))
}
