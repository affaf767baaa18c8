// Command modeldeploy synthesizes the staging and prod endpoint stacks of a SageMaker
// MLOps project for the newest approved model version of its registry, and decides
// whether the execution deploys them. The deploy pipeline's Build stage runs it
// (`go run .`); its output, cdk.out/Staging.template.json and cdk.out/Prod.template.json,
// is what the pipeline's CloudFormation actions deploy, and cdk.out/deploy.env the
// decision the buildspec exports: the deploy stages are skipped when every stack
// already runs its template, or when no version is Approved.
//
// Settings come from the build's environment (set by the project's CodeBuild project)
// and from staging-config.json and prod-config.json (edit those to change an
// endpoint). MODEL_PACKAGE_ARN, when set, skips the registry lookup.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-sdk-go-v2/aws"
	awsconfig "github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials/stscreds"
	"github.com/aws/aws-sdk-go-v2/service/cloudformation"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/sagemaker"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/aws/jsii-runtime-go"

	"github.com/sagemaker-mlops-cdk/mlops/config"
	"github.com/sagemaker-mlops-cdk/mlops/constructs/monitoring"
	"github.com/sagemaker-mlops-cdk/mlops/constructs/project"
	"github.com/sagemaker-mlops-cdk/mlops/deploybuild"
	"github.com/sagemaker-mlops-cdk/mlops/jsiiclose"
	"github.com/sagemaker-mlops-cdk/mlops/stacks/endpointstack"
	"github.com/sagemaker-mlops-cdk/mlops/version"

	"modeldeploy/internal/baseline"
	"modeldeploy/internal/decide"
	"modeldeploy/internal/deployed"
	"modeldeploy/internal/resolve"
)

func main() {
	stderr := os.Stderr // jsiiclose.Close closes os.Stderr
	err := run(context.Background(), os.Getenv, ".")
	jsiiclose.Close()
	if err != nil {
		fmt.Fprintln(stderr, "modeldeploy:", err)
		os.Exit(1)
	}
}

// readStage reads a stage's settings file, e.g. staging-config.json.
func readStage(dir string, p project.Identity, stage project.Stage) (config.Stage, error) {
	path := filepath.Join(dir, settingsFile(stage))
	data, err := os.ReadFile(path)
	if err != nil {
		return config.Stage{}, err
	}
	var raw map[string]any
	if err := json.Unmarshal(data, &raw); err != nil {
		return config.Stage{}, fmt.Errorf("%s: %v", path, err)
	}
	st, err := config.ParseStage(p, stage, raw)
	if err != nil {
		return config.Stage{}, fmt.Errorf("%s: %v", path, err)
	}
	return st, nil
}

// settingsFile is a stage's settings file, `<stage>-config.json`.
func settingsFile(stage project.Stage) string { return string(stage) + "-config.json" }

// checkCapture fails when a stage in another account captures data where the project
// does not let that account write: its endpoint would be created, then every capture
// would be denied.
func checkCapture(env deploybuild.Environment, name project.Stage, st config.Stage) error {
	target, elsewhere := env.Elsewhere[name]
	if !elsewhere || !st.DataCapture {
		return nil
	}
	granted := env.CapturePrefixes[name]
	switch {
	case granted == "":
		return fmt.Errorf("%s captures data (dataCapture.enabled), but the project lets account %s write no captured data: set dataCapture.enabled to false, or deploy the project with %s.dataCapture.enabled=true", settingsFile(name), target.Account, name)
	case granted != st.DataCapturePrefix:
		return fmt.Errorf("%s dataCapture.prefix %q: the project lets account %s write captured data only under %q: use that prefix, or deploy the project with %s.dataCapture.prefix=%s", settingsFile(name), st.DataCapturePrefix, target.Account, granted, name, st.DataCapturePrefix)
	}
	return nil
}

// checkMonitoring fails when a stage in another account monitors its endpoint but the
// project does not let that account read the captured data and write reports: the
// schedule would be created, then every run would be denied.
func checkMonitoring(env deploybuild.Environment, name project.Stage, st config.Stage) error {
	target, elsewhere := env.Elsewhere[name]
	if !elsewhere || !st.Monitoring.Enabled || env.Monitored[name] {
		return nil
	}
	return fmt.Errorf("%s monitors the endpoint (monitoring.enabled), but the project lets account %s read no captured data for monitoring: set monitoring.enabled to false, or deploy the project with %s.monitoring.enabled=true", settingsFile(name), target.Account, name)
}

// run checks the settings and both stage files, resolves the model version,
// synthesizes the two endpoint stacks into the output directory, and decides whether
// the execution deploys them (see package decide), writing the decision to
// deploybuild.DecisionFile for the buildspec to export. A MODEL_PACKAGE_ARN set by
// hand is synthesized and deployed without asking AWS anything.
func run(ctx context.Context, getenv func(string) string, dir string) error {
	env, err := deploybuild.Read(getenv)
	if err != nil {
		return err
	}
	stages := map[project.Stage]config.Stage{}
	for _, name := range project.PipelineStages() {
		st, err := readStage(dir, env.Project, name)
		if err != nil {
			return err
		}
		// The project places the endpoint: its VPC comes from the build's environment.
		st.Network = env.Networks[name]
		stages[name] = st
		if err := checkCapture(env, name, stages[name]); err != nil {
			return err
		}
		if err := checkMonitoring(env, name, stages[name]); err != nil {
			return err
		}
	}
	if arn := env.ModelPackageArn; arn != "" {
		// Set by hand: that version, without asking AWS anything.
		fmt.Println("Deploying without monitoring: the baseline of a version given by " + deploybuild.EnvModelPackageArn + " is not looked up")
		if err := synthesize(dir, env, stages, arn, nil); err != nil {
			return err
		}
		return writeDecision(env, deploybuild.Decision{Deploy: true, ModelPackageArn: arn, Reason: "deploying " + decide.Version(arn) + ", given by " + deploybuild.EnvModelPackageArn})
	}
	cfg, err := awsconfig.LoadDefaultConfig(ctx)
	if err != nil {
		return fmt.Errorf("AWS configuration: %v", err)
	}
	pkg, err := resolve.NewestApproved(ctx, sagemaker.NewFromConfig(cfg), env.ModelPackageGroup)
	if err != nil && !errors.Is(err, resolve.ErrNoneApproved) {
		return err
	}
	if pkg.ARN != "" {
		found, err := baselineOf(ctx, cfg, pkg.ARN, stages)
		if err != nil {
			return err
		}
		if err := synthesize(dir, env, stages, pkg.ARN, found); err != nil {
			return err
		}
	}
	decision, err := decideFor(ctx, cfg, env, pkg.ARN)
	if err != nil {
		return err
	}
	return writeDecision(env, decision)
}

// writeDecision prints the decision and writes it to deploybuild.DecisionFile.
func writeDecision(env deploybuild.Environment, decision deploybuild.Decision) error {
	fmt.Println(decision.Reason)
	if err := os.MkdirAll(env.OutDir, 0o755); err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(env.OutDir, deploybuild.DecisionFile), []byte(decision.Script()), 0o644)
}

// baselineOf looks up the data-quality baseline of the version arn, when a stage
// monitors its endpoint, and says what it found.
func baselineOf(ctx context.Context, cfg aws.Config, arn string, stages map[project.Stage]config.Stage) (*monitoring.Baseline, error) {
	monitored := false
	for _, st := range stages {
		monitored = monitored || st.Monitoring.Enabled
	}
	if !monitored {
		return nil, nil
	}
	found, err := baseline.Of(ctx, sagemaker.NewFromConfig(cfg), s3.NewFromConfig(cfg), arn)
	if err != nil {
		return nil, err
	}
	if found.Baseline == nil {
		fmt.Println("Deploying without monitoring: " + found.Source + "; the ModelBuild pipeline's data-quality check registers one with each version")
	}
	return found.Baseline, nil
}

// monitoredWith is the baseline a stage's endpoint is monitored against, nil when it
// is not, saying what it monitors.
func monitoredWith(name project.Stage, st config.Stage, b *monitoring.Baseline) *monitoring.Baseline {
	if !st.Monitoring.Enabled || b == nil {
		return nil
	}
	fmt.Printf("Monitoring %s against %s, %s\n", name, b.ConstraintsURI, st.Monitoring.Schedule)
	return b
}

// synthesize writes the two endpoint stacks serving arn into the output directory,
// monitored against b where their stage says so (nil: not monitored).
func synthesize(dir string, env deploybuild.Environment, stages map[project.Stage]config.Stage, arn string, b *monitoring.Baseline) error {
	fmt.Printf("Synthesizing the endpoint stacks of model package %s of group %s with sagemaker-mlops-cdk %s\n", arn, env.ModelPackageGroup, version.Version)
	cdkContext, err := readCDKContext(filepath.Join(dir, "cdk.json"))
	if err != nil {
		return err
	}
	app := awscdk.NewApp(&awscdk.AppProps{Outdir: jsii.String(env.OutDir), Context: &cdkContext})
	for _, name := range project.PipelineStages() {
		props := &endpointstack.EndpointStackProps{
			Project:                env.Project,
			Stage:                  name,
			Settings:               stages[name],
			ModelPackageArn:        arn,
			PermissionsBoundaryArn: env.PermissionsBoundaryArn,
			Baseline:               monitoredWith(name, stages[name], b),
		}
		if t, ok := env.Elsewhere[name]; ok {
			props.Env = &awscdk.Environment{Account: jsii.String(t.Account), Region: jsii.String(t.Region)}
			props.ArtifactsAccount, props.ArtifactsRegion = env.ArtifactsAccount, env.ArtifactsRegion
		}
		// The pipeline deploys deploybuild.TemplateFile(name): the stack's id is
		// the stage's title.
		endpointstack.NewEndpointStack(app, name.Title(), props)
	}
	app.Synth(nil)
	return nil
}

// decideFor reads each stage's stack as it runs (in another account through its
// bootstrap lookup role) and the templates synthesized for arn, and decides.
func decideFor(ctx context.Context, cfg aws.Config, env deploybuild.Environment, arn string) (deploybuild.Decision, error) {
	var stages []decide.Stage
	for _, name := range project.PipelineStages() {
		st := decide.Stage{Name: name, SettingsFile: settingsFile(name)}
		if arn != "" {
			data, err := os.ReadFile(filepath.Join(env.OutDir, deploybuild.TemplateFile(name)))
			if err != nil {
				return deploybuild.Decision{}, err
			}
			if err := json.Unmarshal(data, &st.Synthesized); err != nil {
				return deploybuild.Decision{}, err
			}
		}
		var err error
		if st.Deployed, err = deployed.Read(ctx, stackReader(cfg, env, name), env.Project.DeployStackName(name)); err != nil {
			return deploybuild.Decision{}, err
		}
		stages = append(stages, st)
	}
	sm := sagemaker.NewFromConfig(cfg)
	status := func(arn string) string {
		out, err := sm.DescribeModelPackage(ctx, &sagemaker.DescribeModelPackageInput{ModelPackageName: aws.String(arn)})
		if err != nil {
			return "status unknown"
		}
		return string(out.ModelApprovalStatus)
	}
	return decide.Decide(env.ModelPackageGroup, arn, stages, status)
}

// stackReader reads a stage's stack: in the pipeline's account with the build's own
// credentials; elsewhere through the stage account's CDK bootstrap lookup role.
func stackReader(cfg aws.Config, env deploybuild.Environment, stage project.Stage) *cloudformation.Client {
	t, elsewhere := env.Elsewhere[stage]
	if !elsewhere {
		return cloudformation.NewFromConfig(cfg)
	}
	remote := cfg.Copy()
	remote.Region = t.Region
	role := deploybuild.LookupRoleArn(partition(env.Region), env.BootstrapQualifier, t)
	remote.Credentials = aws.NewCredentialsCache(stscreds.NewAssumeRoleProvider(sts.NewFromConfig(cfg), role))
	return cloudformation.NewFromConfig(remote)
}

// partition is the AWS partition of region.
func partition(region string) string {
	switch {
	case strings.HasPrefix(region, "cn-"):
		return "aws-cn"
	case strings.HasPrefix(region, "us-gov-"):
		return "aws-us-gov"
	}
	return "aws"
}

// readCDKContext reads the feature flags of cdk.json, so that `go run .` synthesizes
// what `cdk synth` would.
func readCDKContext(path string) (map[string]interface{}, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var cdk struct {
		Context map[string]interface{} `json:"context"`
	}
	if err := json.Unmarshal(data, &cdk); err != nil {
		return nil, fmt.Errorf("%s: %v", path, err)
	}
	return cdk.Context, nil
}
