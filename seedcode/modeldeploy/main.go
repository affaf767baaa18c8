// Command modeldeploy synthesizes the staging and prod endpoint stacks of a SageMaker
// MLOps project for the newest approved model version of its registry. The deploy
// pipeline's Build stage runs it (`go run .`); its output, cdk.out/Staging.template.json
// and cdk.out/Prod.template.json, is what the pipeline's CloudFormation actions deploy.
//
// Settings come from the build's environment (set by the project's CodeBuild project)
// and from staging-config.json and prod-config.json (edit those to change an
// endpoint). MODEL_PACKAGE_ARN, when set, skips the registry lookup.
package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	awsconfig "github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/sagemaker"
	"github.com/aws/jsii-runtime-go"

	"github.com/sagemaker-mlops-cdk/mlops/config"
	"github.com/sagemaker-mlops-cdk/mlops/constructs/modeldeploy"
	"github.com/sagemaker-mlops-cdk/mlops/constructs/project"
	"github.com/sagemaker-mlops-cdk/mlops/jsiiclose"
	"github.com/sagemaker-mlops-cdk/mlops/stacks"
	"github.com/sagemaker-mlops-cdk/mlops/version"

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

// settings is what the build passes through its environment.
type settings struct {
	project         project.Identity
	group           string
	modelPackageArn string
	outdir          string
	// targets holds a stage's account and region when they are not the pipeline's.
	targets                           map[string]config.Target
	artifactsAccount, artifactsRegion string
	// grantedCapture is, for a stage in another account, the prefix the project lets
	// that account write captured data under ("" for none).
	grantedCapture map[string]string
	// boundary is the permissions boundary the endpoint stacks' roles must carry, ""
	// for none.
	boundary string
}

// readSettings reads and checks the environment, naming every missing variable.
func readSettings(getenv func(string) string) (settings, error) {
	s := settings{
		project:          project.Identity{Name: getenv("SAGEMAKER_PROJECT_NAME"), ID: getenv("SAGEMAKER_PROJECT_ID")},
		group:            getenv("SOURCE_MODEL_PACKAGE_GROUP_NAME"),
		modelPackageArn:  getenv("MODEL_PACKAGE_ARN"),
		outdir:           getenv("CDK_OUTDIR"),
		targets:          map[string]config.Target{},
		grantedCapture:   map[string]string{},
		artifactsAccount: getenv("ARTIFACTS_ACCOUNT_ID"),
		artifactsRegion:  getenv("ARTIFACTS_REGION"),
		boundary:         getenv(modeldeploy.EnvPermissionsBoundary),
	}
	var missing []string
	for _, name := range []string{"SAGEMAKER_PROJECT_NAME", "SAGEMAKER_PROJECT_ID", "SOURCE_MODEL_PACKAGE_GROUP_NAME"} {
		if getenv(name) == "" {
			missing = append(missing, name)
		}
	}
	if len(missing) > 0 {
		return s, fmt.Errorf("environment variables %v are not set: the project's CodeBuild project sets them", missing)
	}
	if err := s.project.Validate(); err != nil {
		return s, err
	}
	if s.outdir == "" {
		s.outdir = "cdk.out"
	}
	for _, stage := range []string{"staging", "prod"} {
		prefix := map[string]string{"staging": "STAGING", "prod": "PROD"}[stage]
		if account := getenv(prefix + "_ACCOUNT_ID"); account != "" {
			s.targets[stage] = config.Target{Account: account, Region: getenv(prefix + "_REGION")}
			s.grantedCapture[stage] = getenv(prefix + "_CAPTURE_PREFIX")
		}
	}
	return s, nil
}

// readStage reads a stage's settings file, e.g. staging-config.json.
func readStage(dir string, p project.Identity, stage string) (config.Stage, error) {
	path := filepath.Join(dir, stage+"-config.json")
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

// checkCapture fails when a stage in another account captures data where the project
// does not let that account write: its endpoint would be created, then every capture
// would be denied.
func checkCapture(s settings, name string, st config.Stage) error {
	target, elsewhere := s.targets[name]
	if !elsewhere || !st.DataCapture {
		return nil
	}
	granted := s.grantedCapture[name]
	switch {
	case granted == "":
		return fmt.Errorf("%s-config.json captures data (dataCapture.enabled), but the project lets account %s write no captured data: set dataCapture.enabled to false, or deploy the project with %s.dataCapture.enabled=true", name, target.Account, name)
	case granted != st.DataCapturePrefix:
		return fmt.Errorf("%s-config.json dataCapture.prefix %q: the project lets account %s write captured data only under %q: use that prefix, or deploy the project with %s.dataCapture.prefix=%s", name, st.DataCapturePrefix, target.Account, granted, name, st.DataCapturePrefix)
	}
	return nil
}

// run checks the settings and both stage files, resolves the model version, then
// synthesizes the two endpoint stacks into the output directory.
func run(ctx context.Context, getenv func(string) string, dir string) error {
	s, err := readSettings(getenv)
	if err != nil {
		return err
	}
	stages := map[string]config.Stage{}
	for _, name := range []string{"staging", "prod"} {
		if stages[name], err = readStage(dir, s.project, name); err != nil {
			return err
		}
		if err := checkCapture(s, name, stages[name]); err != nil {
			return err
		}
	}
	arn := s.modelPackageArn
	if arn == "" {
		cfg, err := awsconfig.LoadDefaultConfig(ctx)
		if err != nil {
			return fmt.Errorf("AWS configuration: %v", err)
		}
		pkg, err := resolve.NewestApproved(ctx, sagemaker.NewFromConfig(cfg), s.group)
		if err != nil {
			return err
		}
		arn = pkg.ARN
	}
	fmt.Printf("Deploying model package %s of group %s with sagemaker-mlops-cdk %s\n", arn, s.group, version.Version)

	cdkContext, err := readCDKContext(filepath.Join(dir, "cdk.json"))
	if err != nil {
		return err
	}
	app := awscdk.NewApp(&awscdk.AppProps{Outdir: jsii.String(s.outdir), Context: &cdkContext})
	for id, name := range map[string]string{"Staging": "staging", "Prod": "prod"} {
		props := &stacks.EndpointStackProps{
			Project:                s.project,
			StageName:              name,
			Stage:                  stages[name],
			ModelPackageArn:        arn,
			PermissionsBoundaryArn: s.boundary,
		}
		if t, ok := s.targets[name]; ok {
			props.Env = &awscdk.Environment{Account: jsii.String(t.Account), Region: jsii.String(t.Region)}
			props.ArtifactsAccount, props.ArtifactsRegion = s.artifactsAccount, s.artifactsRegion
		}
		stacks.NewEndpointStack(app, id, props)
	}
	app.Synth(nil)
	return nil
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
