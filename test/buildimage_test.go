package test

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/mod/modfile"
	"gopkg.in/yaml.v3"

	"github.com/sagemaker-mlops-cdk/mlops/internal/buildproject"
	"github.com/sagemaker-mlops-cdk/mlops/internal/testutil"
)

// buildspecRuntimes are the runtime-versions a buildspec asks for, and its variables.
type buildspecRuntimes struct {
	Env struct {
		Variables map[string]string `yaml:"variables"`
	} `yaml:"env"`
	Phases struct {
		Install struct {
			RuntimeVersions map[string]string `yaml:"runtime-versions"`
		} `yaml:"install"`
	} `yaml:"phases"`
}

func readBuildspec(t *testing.T, text, name string) buildspecRuntimes {
	t.Helper()
	var spec buildspecRuntimes
	require.NoError(t, yaml.Unmarshal([]byte(text), &spec), name)
	return spec
}

// Every CodeBuild project of every configuration builds in the one image, and every
// buildspec, in the seeds or inline in a template, asks only for runtimes that image
// ships, so no build downloads a toolchain: the ModelDeploy build's Go is at least the
// one the seed's go.mod asks for, and GOTOOLCHAIN=local makes a newer go.mod fail at
// once rather than download one.
func TestEveryBuildRunsWhatItsImageShips(t *testing.T) {
	specs := map[string]buildspecRuntimes{}
	for _, file := range []string{"modelbuild/codebuild-buildspec.yml", "modeldeploy/buildspec.yml", "modeldeploy/test-buildspec.yml"} {
		data, err := os.ReadFile(filepath.Join(testutil.RepoRoot(), "seedcode", file))
		require.NoError(t, err)
		specs[file] = readBuildspec(t, string(data), file)
	}
	for name := range configurations {
		for file, tpl := range synthesizedConfig(t, name).templates {
			for _, p := range tpl.Resources("AWS::CodeBuild::Project") {
				assert.Equal(t, buildproject.Image, p.Properties["Environment"].(map[string]any)["Image"], "%s %s", name, p.LogicalID)
				// The seeding builds' buildspecs are inline (JSON, which YAML reads).
				if inline, _ := p.Properties["Source"].(map[string]any)["BuildSpec"].(string); strings.HasPrefix(inline, "{") {
					specs[inlinePrefix+name+" "+file+" "+p.LogicalID] = readBuildspec(t, inline, p.LogicalID)
				}
			}
		}
	}
	for name, spec := range specs {
		for runtime, version := range spec.Phases.Install.RuntimeVersions {
			assert.Contains(t, buildproject.Runtimes[runtime], version, "%s asks for %s %s, which %s does not ship", name, runtime, version, buildproject.Image)
		}
	}
	asked := func(file string) map[string]string { return specs[file].Phases.Install.RuntimeVersions }
	assert.ElementsMatch(t, []string{"golang", "nodejs", "python"}, keys(asked("modeldeploy/buildspec.yml")),
		"the ModelDeploy build compiles Go, runs the CDK's jsii runtime on Node and the tests' emulator on Python")
	assert.Empty(t, asked("modeldeploy/test-buildspec.yml"), "the test gate runs the program the Build stage compiled")
	assert.Equal(t, "local", specs["modeldeploy/buildspec.yml"].Env.Variables["GOTOOLCHAIN"])

	data, err := os.ReadFile(filepath.Join(testutil.RepoRoot(), "seedcode", "modeldeploy", "go.mod"))
	require.NoError(t, err)
	mod, err := modfile.ParseLax("go.mod", data, nil)
	require.NoError(t, err)
	assert.LessOrEqual(t, goMinor(t, mod.Go.Version), goMinor(t, asked("modeldeploy/buildspec.yml")["golang"]),
		"the image's Go builds the seed's go.mod (go %s)", mod.Go.Version)
	seeding := 0
	for name, spec := range specs {
		if strings.HasPrefix(name, inlinePrefix) {
			seeding++
			assert.Equal(t, []string{"python"}, keys(spec.Phases.Install.RuntimeVersions), "%s runs the seeding script on a pinned Python", name)
		}
	}
	assert.Positive(t, seeding, "the seeding builds' inline buildspecs are checked")
}

// inlinePrefix marks the buildspecs read from a template.
const inlinePrefix = "inline: "

// keys is m's keys, sorted.
func keys(m map[string]string) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

// goMinor is the minor version of a Go version such as 1.25.0 or 1.26.
func goMinor(t *testing.T, version string) int {
	t.Helper()
	parts := strings.Split(version, ".")
	require.GreaterOrEqual(t, len(parts), 2, version)
	minor := 0
	for _, c := range parts[1] {
		require.True(t, c >= '0' && c <= '9', version)
		minor = minor*10 + int(c-'0')
	}
	return minor
}
