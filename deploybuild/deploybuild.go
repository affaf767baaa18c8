// Package deploybuild is the contract between the deploy pipeline (package
// modeldeploy) and the code of the ModelDeploy repository that its builds run: the
// environment variables through which the pipeline says which project, registry and
// stages to build endpoint stacks for and which endpoint to test, the files each side
// expects, and the test gate's defaults and limits. The pipeline writes the
// environment with Environment.Variables and TestGate.Variables; the repository's
// app and test gate read it with Read and ReadTestGate. No other code spells a
// variable's name.
package deploybuild

import (
	"fmt"
	"strings"

	"github.com/sagemaker-mlops-cdk/mlops/constructs/network"
	"github.com/sagemaker-mlops-cdk/mlops/constructs/project"
)

// Files of the ModelDeploy repository and of its build output the pipeline relies on.
const (
	// BuildSpecFile builds the endpoint stacks.
	BuildSpecFile = "buildspec.yml"
	// TestBuildSpecFile runs the staging test gate.
	TestBuildSpecFile = "test-buildspec.yml"
	// BuildScript is what the Build stage runs: it compiles the code once per change.
	BuildScript = "build.sh"
	// BuildOutput is the Build stage's output artifact, the TestStaging action's
	// second input: the endpoint stacks' templates, deploy.env and the test gate,
	// TestGateFile.
	BuildOutput  = "EndpointStacks"
	TestGateFile = "testgate"
)

// TemplateFile is a stage's endpoint stack template in the build output,
// `<Stage>.template.json`: the app synthesizes each stage's stack with the id
// Stage.Title().
func TemplateFile(stage project.Stage) string { return stage.Title() + ".template.json" }

// DefaultBootstrapQualifier is the CDK's default bootstrap qualifier
// (awscdk.DefaultStackSynthesizer_DEFAULT_QUALIFIER): the deploy pipeline deploys a
// stage in another account through that account's bootstrap roles, whose names
// carry it.
const DefaultBootstrapQualifier = "hnb659fds"

// GoModCache and GoBuildCache are where the build keeps Go's caches in its
// container; build.sh archives them to EnvGoCacheStore.
const (
	GoModCache   = "/root/.cache/go-mod"
	GoBuildCache = "/root/.cache/go-build"
)

// CompiledStore and GoCacheStore are the folders of the build project's prefix of
// the artifact bucket where build.sh keeps the compiled programs, one archive per
// change of the code, and Go's caches, one archive per go.sum and toolchain.
const (
	CompiledStore = "compiled/"
	GoCacheStore  = "go-cache/"
)

// Environment variables of the endpoint stacks' build.
const (
	EnvProjectName       = "SAGEMAKER_PROJECT_NAME"
	EnvProjectID         = "SAGEMAKER_PROJECT_ID"
	EnvModelPackageGroup = "SOURCE_MODEL_PACKAGE_GROUP_NAME"
	EnvArtifactBucket    = "ARTIFACT_BUCKET"
	EnvRegion            = "AWS_REGION"
	// EnvArtifactsAccount and EnvArtifactsRegion are the project stack's account and
	// region, set when a stage deploys elsewhere.
	EnvArtifactsAccount = "ARTIFACTS_ACCOUNT_ID"
	EnvArtifactsRegion  = "ARTIFACTS_REGION"
	// EnvBootstrapQualifier is the CDK bootstrap qualifier of the stage accounts, set
	// when a stage deploys elsewhere: the build reads that stage's stack through the
	// account's bootstrap lookup role.
	EnvBootstrapQualifier = "CDK_BOOTSTRAP_QUALIFIER"
	// EnvPermissionsBoundary is the ARN of the permissions boundary the endpoint
	// stacks' roles must carry.
	EnvPermissionsBoundary = "PERMISSIONS_BOUNDARY_ARN"
	// EnvModelPackageArn, set by hand, deploys that model version instead of the
	// newest approved one.
	EnvModelPackageArn = "MODEL_PACKAGE_ARN"
	// EnvOutDir is where the app writes the templates. Default: cdk.out.
	EnvOutDir = "CDK_OUTDIR"
	// EnvGoModCache and EnvGoBuildCache point Go at GoModCache and GoBuildCache.
	EnvGoModCache   = "GOMODCACHE"
	EnvGoBuildCache = "GOCACHE"
	// EnvBuildStore is the s3:// folder where build.sh keeps what it compiled, and
	// EnvGoCacheStore the one where it keeps Go's caches (unset: it keeps none).
	EnvBuildStore   = "BUILD_STORE"
	EnvGoCacheStore = "GO_CACHE_STORE"
)

// EnvStageAccount, EnvStageRegion and EnvStageCapturePrefix are set for a stage that
// deploys to another account or region than the pipeline's: e.g. STAGING_ACCOUNT_ID,
// STAGING_REGION and STAGING_CAPTURE_PREFIX.
func EnvStageAccount(s project.Stage) string { return envStage(s) + "_ACCOUNT_ID" }

// EnvStageRegion is the region variable of a stage elsewhere (see EnvStageAccount).
func EnvStageRegion(s project.Stage) string { return envStage(s) + "_REGION" }

// EnvStageCapturePrefix is the prefix under which the project lets a stage's account
// write captured data (see EnvStageAccount).
func EnvStageCapturePrefix(s project.Stage) string { return envStage(s) + "_CAPTURE_PREFIX" }

// EnvStageMonitoring is "granted" when the project lets the account of a stage
// elsewhere monitor that stage's endpoint: read its captured data and write the
// reports (see EnvStageAccount).
func EnvStageMonitoring(s project.Stage) string { return envStage(s) + "_MONITORING" }

// MonitoringGranted is EnvStageMonitoring's value for a stage whose account may
// monitor its endpoint.
const MonitoringGranted = "granted"

// EnvStageVpcID, EnvStageSubnetIDs and EnvStageSecurityGroupIDs place a stage's
// endpoint in a VPC (ids separated by commas), e.g. STAGING_VPC_ID; unset, it runs on
// AWS-managed networking.
func EnvStageVpcID(s project.Stage) string { return envStage(s) + "_VPC_ID" }

// EnvStageSubnetIDs is the subnets variable of a stage in a VPC (see EnvStageVpcID).
func EnvStageSubnetIDs(s project.Stage) string { return envStage(s) + "_SUBNET_IDS" }

// EnvStageSecurityGroupIDs is the security groups variable of a stage in a VPC (see
// EnvStageVpcID).
func EnvStageSecurityGroupIDs(s project.Stage) string { return envStage(s) + "_SECURITY_GROUP_IDS" }

func envStage(s project.Stage) string {
	return strings.ToUpper(strings.ReplaceAll(string(s), "-", "_"))
}

// Environment is what the endpoint stacks' build is told.
type Environment struct {
	// Project the endpoints belong to. Required.
	Project project.Identity
	// ModelPackageGroup is the registry's group, whose newest approved version is
	// deployed. Required.
	ModelPackageGroup string
	// ArtifactBucket is the project's artifact bucket.
	ArtifactBucket string
	// Region is the pipeline's region.
	Region string
	// Elsewhere holds each stage that deploys to another account or region than the
	// pipeline's, with where it deploys.
	Elsewhere map[project.Stage]project.Target
	// ArtifactsAccount and ArtifactsRegion are the project stack's, when a stage is
	// elsewhere.
	ArtifactsAccount, ArtifactsRegion string
	// CapturePrefixes holds, for a stage elsewhere, the prefix under which the project
	// lets that account write captured data; a stage without one may capture nothing.
	CapturePrefixes map[project.Stage]string
	// Monitored holds the stages elsewhere whose account the project lets monitor
	// their endpoint; a stage not in it may not monitor.
	Monitored map[project.Stage]bool
	// Networks holds the VPC of each stage whose endpoint runs in one.
	Networks map[project.Stage]network.Placement
	// BootstrapQualifier is the stage accounts' CDK bootstrap qualifier, when a stage
	// is elsewhere.
	BootstrapQualifier string
	// PermissionsBoundaryArn is the boundary the endpoint stacks' roles must carry; ""
	// for none.
	PermissionsBoundaryArn string
	// ModelPackageArn, when set, is deployed instead of the newest approved version.
	ModelPackageArn string
	// OutDir is where the app writes the templates.
	OutDir string
}

// Variables are the environment's variables, without the empty ones. Values may be
// CDK tokens.
func (e Environment) Variables() map[string]string {
	vars := map[string]string{
		EnvProjectName: e.Project.Name, EnvProjectID: e.Project.ID,
		EnvModelPackageGroup: e.ModelPackageGroup, EnvArtifactBucket: e.ArtifactBucket, EnvRegion: e.Region,
		EnvArtifactsAccount: e.ArtifactsAccount, EnvArtifactsRegion: e.ArtifactsRegion,
		EnvPermissionsBoundary: e.PermissionsBoundaryArn, EnvModelPackageArn: e.ModelPackageArn, EnvOutDir: e.OutDir,
		EnvBootstrapQualifier: e.BootstrapQualifier,
	}
	for stage, n := range e.Networks {
		vars[EnvStageVpcID(stage)] = n.VpcID
		vars[EnvStageSubnetIDs(stage)] = strings.Join(n.SubnetIDs, ",")
		vars[EnvStageSecurityGroupIDs(stage)] = strings.Join(n.SecurityGroupIDs, ",")
	}
	for stage, t := range e.Elsewhere {
		vars[EnvStageAccount(stage)], vars[EnvStageRegion(stage)] = t.Account, t.Region
		vars[EnvStageCapturePrefix(stage)] = e.CapturePrefixes[stage]
		if e.Monitored[stage] {
			vars[EnvStageMonitoring(stage)] = MonitoringGranted
		}
	}
	return withoutEmpty(vars)
}

// withoutEmpty is vars without its empty values: a build sets no variable it has no
// value for.
func withoutEmpty(vars map[string]string) map[string]string {
	for name, value := range vars {
		if value == "" {
			delete(vars, name)
		}
	}
	return vars
}

// Read reads the environment of the endpoint stacks' build, for the deploy
// pipeline's stages. It names every missing variable, and an invalid project.
func Read(getenv func(string) string) (Environment, error) {
	e := Environment{
		Project:                project.Identity{Name: getenv(EnvProjectName), ID: getenv(EnvProjectID)},
		ModelPackageGroup:      getenv(EnvModelPackageGroup),
		ArtifactBucket:         getenv(EnvArtifactBucket),
		Region:                 getenv(EnvRegion),
		Elsewhere:              map[project.Stage]project.Target{},
		CapturePrefixes:        map[project.Stage]string{},
		Monitored:              map[project.Stage]bool{},
		Networks:               map[project.Stage]network.Placement{},
		ArtifactsAccount:       getenv(EnvArtifactsAccount),
		ArtifactsRegion:        getenv(EnvArtifactsRegion),
		PermissionsBoundaryArn: getenv(EnvPermissionsBoundary),
		BootstrapQualifier:     getenv(EnvBootstrapQualifier),
		ModelPackageArn:        getenv(EnvModelPackageArn),
		OutDir:                 getenv(EnvOutDir),
	}
	var missing []string
	for _, name := range []string{EnvProjectName, EnvProjectID, EnvModelPackageGroup} {
		if getenv(name) == "" {
			missing = append(missing, name)
		}
	}
	if len(missing) > 0 {
		return e, fmt.Errorf("environment variables %v are not set: the project's CodeBuild project sets them", missing)
	}
	if err := e.Project.Validate(); err != nil {
		return e, err
	}
	if e.OutDir == "" {
		e.OutDir = "cdk.out"
	}
	if e.BootstrapQualifier == "" {
		e.BootstrapQualifier = DefaultBootstrapQualifier
	}
	for _, stage := range project.PipelineStages() {
		if n := (network.Placement{VpcID: getenv(EnvStageVpcID(stage)), SubnetIDs: ids(getenv(EnvStageSubnetIDs(stage))), SecurityGroupIDs: ids(getenv(EnvStageSecurityGroupIDs(stage)))}); n.IsSet() {
			if err := n.Check(); err != nil {
				return e, fmt.Errorf("%s, %s, %s: %v: the project's CodeBuild project sets them from its vpc.* keys", EnvStageVpcID(stage), EnvStageSubnetIDs(stage), EnvStageSecurityGroupIDs(stage), err)
			}
			e.Networks[stage] = n
		}
		if account := getenv(EnvStageAccount(stage)); account != "" {
			e.Elsewhere[stage] = project.Target{Account: account, Region: getenv(EnvStageRegion(stage))}
			e.CapturePrefixes[stage] = getenv(EnvStageCapturePrefix(stage))
			if getenv(EnvStageMonitoring(stage)) == MonitoringGranted {
				e.Monitored[stage] = true
			}
		}
	}
	return e, nil
}

// ids splits a comma-separated list of ids, nil for none.
func ids(list string) []string {
	var out []string
	for _, id := range strings.Split(list, ",") {
		if id = strings.TrimSpace(id); id != "" {
			out = append(out, id)
		}
	}
	return out
}

// The build's decision, exported to the pipeline as the Build action's variables in
// namespace BuildVariablesNamespace: the deploy stages run only when VarDeploy is
// "true", and the production approval shows VarDeployReason.
const (
	BuildVariablesNamespace = "BuildVariables"
	// VarDeploy is "true" when the execution deploys, "false" when the stages are
	// skipped: nothing would change, or no version is Approved.
	VarDeploy = "DEPLOY"
	// VarDeployReason says what the execution deploys and why, or why not.
	VarDeployReason = "DEPLOY_REASON"
	// VarModelPackageArn is the version the execution deploys; "" when it deploys
	// nothing.
	VarModelPackageArn = "DEPLOY_MODEL_PACKAGE_ARN"
	// DecisionFile, in the build's output directory, exports the three for the
	// buildspec's shell to source.
	DecisionFile = "deploy.env"
)

// Decision is what the endpoint stacks' build decided.
type Decision struct {
	// Deploy tells whether the deploy stages run.
	Deploy bool
	// Reason says what is deployed and why, or why nothing is.
	Reason string
	// ModelPackageArn is the version deployed, "" when nothing is.
	ModelPackageArn string
}

// Script is the decision as DecisionFile holds it: shell exports of the build's
// variables, each value single-quoted.
func (d Decision) Script() string {
	quote := func(s string) string { return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'" }
	return fmt.Sprintf("export %s=%t\nexport %s=%s\nexport %s=%s\n",
		VarDeploy, d.Deploy, VarDeployReason, quote(d.Reason), VarModelPackageArn, quote(d.ModelPackageArn))
}

// LookupRoleArn is the CDK bootstrap lookup role of target, through which the build
// reads a stage's stack in another account: `cdk bootstrap --trust` lets the pipeline's
// account assume it, and it may read, not change.
func LookupRoleArn(partition, qualifier string, target project.Target) string {
	return fmt.Sprintf("arn:%s:iam::%s:role/cdk-%s-lookup-role-%s-%s", partition, target.Account, qualifier, target.Account, target.Region)
}
