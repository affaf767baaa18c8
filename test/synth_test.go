package test

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/jsii-runtime-go"
	"github.com/cdklabs/cdk-nag-go/cdknag/v2"
	"github.com/stretchr/testify/require"

	"github.com/sagemaker-mlops-cdk/mlops/config"
	"github.com/sagemaker-mlops-cdk/mlops/constructs/monitoring"
	"github.com/sagemaker-mlops-cdk/mlops/constructs/project"
	"github.com/sagemaker-mlops-cdk/mlops/internal/testutil"
	"github.com/sagemaker-mlops-cdk/mlops/stacks"
	"github.com/sagemaker-mlops-cdk/mlops/stacks/endpointstack"
)

// nagLine is one line of a cdk-nag JSON report.
type nagLine struct {
	RuleID          string `json:"ruleId"`
	ResourceID      string `json:"resourceId"`
	Compliance      string `json:"compliance"`
	ExceptionReason string `json:"exceptionReason"`
}

// synthesis is one configuration of the app synthesized with cdk-nag.
type synthesis struct {
	// dir is the cloud assembly directory.
	dir string
	// templates are the synthesized templates by file name, relative to dir (the
	// Studio templates are in the nested assembly of their stage).
	templates map[string]testutil.Template
	// yaml are the paths of the Studio templates' YAML bodies.
	yaml []string
	// problems are the error and warning annotations of the synthesis (cdk-nag reports
	// unsuppressed findings as such annotations), one line each.
	problems []string
	// nag is every line of cdk-nag's reports, compliant, suppressed or not.
	nag []nagLine
}

// synthWithNag builds the app for context, runs cdk-nag's AwsSolutions checks on it and
// synthesizes it into dir. Error annotations make the CDK refuse to
// finish synthesis; they are then read from its validation report rather than lost in
// the panic.
func synthWithNag(t *testing.T, dir string, context map[string]any, monitored bool) synthesis {
	t.Helper()
	cfg, err := config.Parse(context)
	require.NoError(t, err)
	app := testutil.NewApp(t, dir, context)
	awscdk.Aspects_Of(app).Add(cdknag.NewAwsSolutionsChecks(&cdknag.NagPackProps{
		Reports:       jsii.Bool(true),
		ReportFormats: &[]cdknag.NagReportFormat{cdknag.NagReportFormat_JSON},
	}), nil)
	s := synthesis{dir: *app.Outdir(), templates: map[string]testutil.Template{}}
	failed := false
	func() {
		defer func() {
			if r := recover(); r != nil {
				if !strings.Contains(fmt.Sprint(r), "ValidationFailed") {
					panic(r)
				}
				failed = true
			}
		}()
		// The Studio templates' stage is synthesized while the app is built.
		stacks.NewProject(app, cfg)
		if monitored {
			monitoredStages(app, cfg)
		}
		app.Synth(nil)
	}()
	if failed {
		s.problems = validationViolations(t, s.dir)
	} else {
		s.problems = manifestProblems(t, s.dir)
	}
	for _, pattern := range []string{"*.template.json", "assembly-*/*.template.json"} {
		paths, err := filepath.Glob(filepath.Join(s.dir, pattern))
		require.NoError(t, err)
		for _, path := range paths {
			rel, err := filepath.Rel(s.dir, path)
			require.NoError(t, err)
			s.templates[rel] = readJSON[testutil.Template](t, path)
		}
	}
	s.yaml, _ = filepath.Glob(filepath.Join(s.dir, "assembly-*", "*.yaml"))
	reports, err := filepath.Glob(filepath.Join(s.dir, "AwsSolutions-*-NagReport.json"))
	require.NoError(t, err)
	for _, path := range reports {
		s.nag = append(s.nag, readJSON[struct {
			Lines []nagLine `json:"lines"`
		}](t, path).Lines...)
	}
	return s
}

// assemblyFiles are the files called name of the cloud assembly in dir and of its
// nested assemblies (the Studio templates' stage); a stage that failed to synthesize
// leaves only its own.
func assemblyFiles(t *testing.T, dir, name string) []string {
	paths, err := filepath.Glob(filepath.Join(dir, name))
	require.NoError(t, err)
	nested, err := filepath.Glob(filepath.Join(dir, "assembly-*", name))
	require.NoError(t, err)
	out := append(paths, nested...)
	require.NotEmpty(t, out, "no %s in %s", name, dir)
	return out
}

// validationViolations lists the violations of the CDK's validation reports.
func validationViolations(t *testing.T, dir string) []string {
	var out []string
	for _, path := range assemblyFiles(t, dir, "validation-report.json") {
		out = append(out, reportViolations(t, path)...)
	}
	sort.Strings(out)
	return out
}

func reportViolations(t *testing.T, path string) []string {
	report := readJSON[struct {
		PluginReports []struct {
			Violations []struct {
				Description         string `json:"description"`
				ViolatingConstructs []struct {
					ConstructPath string `json:"constructPath"`
				} `json:"violatingConstructs"`
			} `json:"violations"`
		} `json:"pluginReports"`
	}](t, path)
	var out []string
	for _, p := range report.PluginReports {
		for _, v := range p.Violations {
			rule, _, _ := strings.Cut(v.Description, ": ")
			for _, c := range v.ViolatingConstructs {
				out = append(out, rule+" at "+c.ConstructPath)
			}
		}
	}
	return out
}

// manifestProblems lists the error and warning annotations of a cloud assembly and
// its nested assemblies.
func manifestProblems(t *testing.T, dir string) []string {
	var out []string
	for _, path := range assemblyFiles(t, dir, "manifest.json") {
		out = append(out, annotations(t, path)...)
	}
	sort.Strings(out)
	return out
}

func annotations(t *testing.T, path string) []string {
	manifest := readJSON[struct {
		Artifacts map[string]struct {
			Metadata map[string][]struct {
				Type string `json:"type"`
				Data any    `json:"data"`
			} `json:"metadata"`
		} `json:"artifacts"`
	}](t, path)
	var out []string
	for _, a := range manifest.Artifacts {
		for construct, entries := range a.Metadata {
			for _, e := range entries {
				if e.Type == "aws:cdk:error" || e.Type == "aws:cdk:warning" {
					first, _, _ := strings.Cut(fmt.Sprint(e.Data), "\n")
					out = append(out, e.Type+" "+first+" at "+construct)
				}
			}
		}
	}
	return out
}

func readJSON[T any](t *testing.T, path string) T {
	t.Helper()
	data, err := os.ReadFile(path)
	require.NoError(t, err)
	var v T
	require.NoError(t, json.Unmarshal(data, &v), path)
	return v
}

// monitoredStages adds both endpoint stacks as the deploy build synthesizes them for
// a version whose baseline the ModelBuild pipeline's data-quality check wrote (10
// features of a headerless CSV), with the stage settings of cfg.
func monitoredStages(app awscdk.App, cfg config.Config) {
	prefix := "s3://" + cfg.Project.BucketName() + "/" + cfg.Project.ModelArtifactsPrefix() + "exec1/CheckDataQualityAbalone/output/"
	baseline := &monitoring.Baseline{StatisticsURI: prefix + "statistics.json", ConstraintsURI: prefix + "constraints.json"}
	for i := 0; i < 10; i++ {
		baseline.Features = append(baseline.Features, fmt.Sprintf("_c%d", i))
	}
	for _, stage := range project.PipelineStages() {
		props := &endpointstack.EndpointStackProps{
			StackProps: awscdk.StackProps{StackName: jsii.String(cfg.Project.DeployStackName(stage) + "-monitored")},
			Project:    cfg.Project, Stage: stage, Settings: cfg.Stage(stage),
			ModelPackageArn: "arn:aws:sagemaker:eu-west-1:111111111111:model-package/" + cfg.Project.ModelPackageGroupName() + "/3",
			Baseline:        baseline,
		}
		// In another account, as the deploy build synthesizes a stage elsewhere.
		if t := cfg.StageTarget(stage); t.Account != "" {
			props.Env = &awscdk.Environment{Account: jsii.String(t.Account), Region: jsii.String(t.Region)}
			props.ArtifactsAccount, props.ArtifactsRegion = cfg.Account, cfg.Region
		}
		endpointstack.NewEndpointStack(app, "Monitored"+stage.Title(), props)
	}
}
