package seedcode

import (
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/mod/module"
	modzip "golang.org/x/mod/zip"
	"golang.org/x/tools/txtar"

	"github.com/sagemaker-mlops-cdk/mlops/internal/gitfiles"
)

// The archive the module ships is the ModelDeploy directory's files under version
// control, byte for byte: edit the directory, then run `make seed-archive`.
func TestTheShippedDeploySeedIsTheDirectory(t *testing.T) {
	dir := Dir(ModelDeploy)
	names, err := gitfiles.Seed(dir)
	require.NoError(t, err)
	shipped := map[string]string{}
	for _, f := range txtar.Parse(modelDeployArchive).Files {
		shipped[f.Name] = string(f.Data)
	}
	want := map[string]string{}
	for _, name := range names {
		data, err := os.ReadFile(filepath.Join(dir, filepath.FromSlash(name)))
		require.NoError(t, err)
		want[name] = string(data)
	}
	var stale []string
	for name, data := range want {
		if shipped[name] != data {
			stale = append(stale, name)
		}
	}
	for name := range shipped {
		if _, ok := want[name]; !ok {
			stale = append(stale, name)
		}
	}
	sort.Strings(stale)
	assert.Empty(t, stale, "%s is stale for these files: run make seed-archive", ArchiveFile)
}

// trackedFile is a file of the working tree as a module zip entry.
type trackedFile struct{ root, name string }

func (f trackedFile) Path() string { return f.name }
func (f trackedFile) Lstat() (os.FileInfo, error) {
	return os.Lstat(filepath.Join(f.root, filepath.FromSlash(f.name)))
}
func (f trackedFile) Open() (io.ReadCloser, error) {
	return os.Open(filepath.Join(f.root, filepath.FromSlash(f.name)))
}

// The module's users get both seeds from the module zip the Go module proxy serves
// (made here by golang.org/x/mod/zip from the files under version control, as the
// proxy makes it from a tag): the ModelBuild directory, and the ModelDeploy seed from
// the archive, since the zip leaves its directory out.
func TestTheModuleZipShipsBothSeeds(t *testing.T) {
	root := moduleRoot()
	names, err := gitfiles.Seed(root)
	require.NoError(t, err)
	var files []modzip.File
	for _, name := range names {
		files = append(files, trackedFile{root, name})
	}
	m := module.Version{Path: mustModulePath(root), Version: "v0.0.0-test"}
	zipPath := filepath.Join(t.TempDir(), "module.zip")
	out, err := os.Create(zipPath)
	require.NoError(t, err)
	require.NoError(t, modzip.Create(out, m, files))
	require.NoError(t, out.Close())
	extracted := filepath.Join(t.TempDir(), "mod")
	require.NoError(t, modzip.Unzip(extracted, m, zipPath))

	_, err = os.Stat(filepath.Join(extracted, "seedcode", ModelDeploy, "main.go"))
	assert.ErrorIs(t, err, fs.ErrNotExist, "the zip leaves out a directory holding a go.mod")
	seeded := t.TempDir()
	require.NoError(t, withLibrary{archive: modelDeployArchive, root: extracted}.WriteTo(seeded))
	for _, f := range []string{"main.go", "go.mod", "cmd/testgate/main.go", LibraryDir + "/go.mod", LibraryDir + "/stacks/endpointstack/endpointstack.go", ManifestFile} {
		assert.FileExists(t, filepath.Join(seeded, filepath.FromSlash(f)))
	}
	build, err := gitfiles.Seed(Dir(ModelBuild))
	require.NoError(t, err)
	for _, f := range build {
		assert.FileExists(t, filepath.Join(extracted, "seedcode", ModelBuild, filepath.FromSlash(f)))
	}
}

// The project's instance types land on the lines of the pipeline a data scientist
// edits; nothing else of the seed changes.
func TestTheModelBuildSeedCarriesTheProjectsInstanceTypes(t *testing.T) {
	dir := t.TempDir()
	require.NoError(t, ModelBuildCode("ml.c5.2xlarge", "").WriteTo(dir))
	data, err := os.ReadFile(filepath.Join(dir, filepath.FromSlash(PipelineFile)))
	require.NoError(t, err)
	assert.Contains(t, string(data), `name="ProcessingInstanceType", default_value="ml.c5.2xlarge"`)
	assert.Contains(t, string(data), `name="TrainingInstanceType", default_value="ml.m5.xlarge"`, "an empty type keeps the seed's")
	shipped, err := os.ReadFile(filepath.Join(Dir(ModelBuild), filepath.FromSlash(PipelineFile)))
	require.NoError(t, err)
	assert.Equal(t, strings.Replace(string(shipped), `name="ProcessingInstanceType", default_value="ml.m5.xlarge"`, `name="ProcessingInstanceType", default_value="ml.c5.2xlarge"`, 1), string(data))
}

func TestAPipelineWithoutTheParameterLinesFailsTheSeeding(t *testing.T) {
	path := filepath.Join(t.TempDir(), "pipeline.py")
	require.NoError(t, os.WriteFile(path, []byte(`x = ParameterString(name="TrainingInstanceType", default_value=DEFAULT)`+"\n"), 0o644))
	err := writeParameterDefaults(path, map[string]string{"TrainingInstanceType": "ml.m5.large"})
	assert.EqualError(t, err, path+` declares the parameter TrainingInstanceType 0 times in the form name="TrainingInstanceType", default_value="...", not once`)
}
