package test

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/jsii-runtime-go"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sagemaker-mlops-cdk/mlops/config"
	"github.com/sagemaker-mlops-cdk/mlops/constructs/studio"
	"github.com/sagemaker-mlops-cdk/mlops/internal/testutil"
)

// TestReadmeDocumentsEveryConfigurationKey keeps the README's configuration tables in
// step with the configuration: a stage key is documented as `<stage>.<key>`.
func TestReadmeDocumentsEveryConfigurationKey(t *testing.T) {
	data, err := os.ReadFile(filepath.Join(testutil.RepoRoot(), "README.md"))
	require.NoError(t, err)
	readme := string(data)
	for _, key := range config.Keys() {
		documented := key
		for _, stage := range []string{"staging.", "prod."} {
			if strings.HasPrefix(key, stage) {
				documented = "<stage>." + strings.TrimPrefix(key, stage)
			}
		}
		last := documented[strings.LastIndex(documented, ".")+1:]
		assert.True(t, strings.Contains(readme, "`"+documented+"`") || strings.Contains(readme, "."+last+"`"),
			"README.md does not document %s", key)
	}
}

// TestReadmeExplainsEveryStatementOfTheLaunchRole keeps the README's table of the
// launch role in step with its statements.
func TestReadmeExplainsEveryStatementOfTheLaunchRole(t *testing.T) {
	data, err := os.ReadFile(filepath.Join(testutil.RepoRoot(), "README.md"))
	require.NoError(t, err)
	stack := awscdk.NewStack(testutil.NewApp(t, "", nil), jsii.String("Readme"), nil)
	for _, p := range studio.LaunchPermissions(stack, jsii.String("arn:aws:iam::111111111111:policy/boundary"), true) {
		assert.Contains(t, string(data), "`"+p.Sid+"`", "README.md's launch role table does not explain %s", p.Sid)
		assert.NotEmpty(t, p.Reason, p.Sid)
	}
}

// TestREADMESynthExamplesWork runs each `make synth ARGS='...'` example of the README's
// shell blocks, as a reader would paste it: make must pass every line of ARGS to the
// CDK CLI (the examples span lines), and make synth must succeed with them and write
// the templates. The README's first command, `make synth` alone, is the CLI test's.
func TestREADMESynthExamplesWork(t *testing.T) {
	root := testutil.RepoRoot()
	readme, err := os.ReadFile(filepath.Join(root, "README.md"))
	require.NoError(t, err)
	examples := regexp.MustCompile("(?m)^make synth ARGS='([^']*)'$").FindAllStringSubmatch(string(readme), -1)
	require.NotEmpty(t, examples, "the README shows no make synth example in a shell block")
	require.Contains(t, string(readme), "\nmake synth   #", "the README's first command")
	for _, example := range examples {
		args := strings.Fields(example[1])
		dry, err := makeCommand("-s", "-n", "-C", root, "synth", "ARGS="+example[1]).CombinedOutput()
		require.NoError(t, err, "%s", dry)
		var command string
		for _, line := range strings.Split(string(dry), "\n") {
			if strings.Contains(line, " synth --quiet") {
				command = line
			}
		}
		assert.Contains(t, command, args[len(args)-1], "make drops ARGS after a line break")

		out := t.TempDir()
		output, err := makeSynth(t, out, example[1])
		require.NoError(t, err, "make synth ARGS=%q: %s", example[1], output)
		templates, _ := filepath.Glob(filepath.Join(out, "*.template.json"))
		assert.NotEmpty(t, templates)
		assert.Contains(t, output, filepath.Join(out, "Project.template.json"), "make synth lists the templates it wrote")
	}
}
