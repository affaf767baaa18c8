// Package modeldeploy provides the ModelDeploy half of the project: the pipeline that,
// whenever a model version is approved in the registry (or the ModelDeploy code
// changes), builds the endpoint stacks for the newest approved version, deploys the
// staging endpoint, tests it for real, waits for a person's approval, and deploys the
// production endpoint.
//
// What the pipeline's builds tell the ModelDeploy repository's code, and the files
// they expect of it, is package deploybuild's contract.
package modeldeploy

import (
	"fmt"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscodebuild"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscodepipeline"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsevents"
	"github.com/aws/aws-cdk-go/awscdk/v2/awseventstargets"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslogs"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"

	"github.com/sagemaker-mlops-cdk/mlops/constructs/artifacts"
	"github.com/sagemaker-mlops-cdk/mlops/constructs/network"
	"github.com/sagemaker-mlops-cdk/mlops/constructs/project"
	"github.com/sagemaker-mlops-cdk/mlops/constructs/registry"
	"github.com/sagemaker-mlops-cdk/mlops/constructs/source"
	"github.com/sagemaker-mlops-cdk/mlops/deploybuild"
)

// ModelDeployProps configures a ModelDeploy.
type ModelDeployProps struct {
	// Project names the build projects `sagemaker-<name>-<id>-modeldeploy` and
	// `-testing`, the pipeline `-modeldeploy` and the stacks `-deploy-<stage>`.
	// Required.
	Project project.Identity
	// Repository holds the ModelDeploy code; a push to its branch starts the pipeline.
	// Required.
	Repository source.Repository
	// Artifacts stores pipeline artifacts and the build caches. Required.
	Artifacts artifacts.IArtifactBucket
	// Registry is the model package group whose approvals start the pipeline.
	// Required.
	Registry registry.IModelRegistry
	// TestInvocations is how many times the test gate invokes the staging endpoint,
	// within deploybuild.CheckTestInvocations. Default:
	// deploybuild.MinTestInvocations (20).
	TestInvocations int
	// TestP95LatencyMs is the latency budget of the test gate's 95th percentile,
	// within deploybuild.CheckTestP95LatencyMs. Default:
	// deploybuild.DefaultTestP95LatencyMs (500).
	TestP95LatencyMs int
	// LogRetention bounds how long build logs are kept. Default: three months.
	LogRetention awslogs.RetentionDays
	// Staging and Prod say where each stage's endpoint stack deploys. Default: the
	// pipeline's own account and region. A stage elsewhere is deployed through the CDK
	// bootstrap roles of its account and region, which must trust the pipeline's
	// account (`cdk bootstrap --trust <account>`); the pipeline's stack must then have
	// an explicit account and region.
	Staging, Prod project.Target
	// StagingCapturePrefix and ProdCapturePrefix are where the project lets a stage in
	// another account write captured data in the artifact bucket; "" for nowhere. The
	// build then fails when that stage's settings file captures data anywhere else,
	// which the stage account could not write. Not used for a stage in the pipeline's
	// own account, whose model role is granted its prefix by the endpoint stack.
	StagingCapturePrefix, ProdCapturePrefix string
	// StagingMonitored and ProdMonitored say whether the project lets a stage in
	// another account monitor its endpoint: read its captured data and write
	// monitoring reports in the artifact bucket. The build then fails when that
	// stage's settings file monitors an endpoint the project does not let it. Default:
	// false. Not used for a stage in the pipeline's own account, whose monitoring job's
	// role is granted what it reads and writes by the endpoint stack.
	StagingMonitored, ProdMonitored bool
	// StagingNetwork and ProdNetwork are the VPCs the stages' endpoints run in; the
	// build passes them to the endpoint stacks, and the deployment role may create the
	// endpoints' security groups there. Default: none, AWS-managed networking.
	StagingNetwork, ProdNetwork network.Placement
	// BuildNetwork is the VPC of the pipeline's account that the build and test
	// projects run in, with its security groups (one with no inbound rule and outbound
	// HTTPS only is created when it names none). The builds download Go modules: the
	// subnets need a route to the Go module proxy (or the mirror the buildspec names).
	// Default: none, AWS-managed networking.
	BuildNetwork network.Placement
	// GoProxy and PipIndexURL are the Go module proxy (GOPROXY's syntax) and Python
	// package index the build and the test gate download from, for subnets without a
	// route to the public ones. Default: the public ones.
	GoProxy, PipIndexURL string
	// BootstrapQualifier is the CDK bootstrap qualifier of the stage accounts. Default:
	// the CDK's, deploybuild.DefaultBootstrapQualifier.
	BootstrapQualifier string
	// PermissionsBoundary is the permissions boundary the endpoint stacks' roles must
	// carry: the deployment role may create roles only with it, and the build passes
	// its ARN to the endpoint stacks (deploybuild.EnvPermissionsBoundary). Default:
	// none.
	PermissionsBoundary awsiam.IManagedPolicy
}

// ModelDeploy is the build and test projects, the deploy pipeline and its triggers.
type ModelDeploy struct {
	constructs.Construct
	// BuildProject resolves the newest approved model version and synthesizes the
	// endpoint stacks.
	BuildProject awscodebuild.PipelineProject
	// TestProject runs the staging test gate.
	TestProject awscodebuild.PipelineProject
	// Pipeline is Source -> Build -> DeployStaging (deploy, test, approve) ->
	// DeployProd.
	Pipeline awscodepipeline.Pipeline
	// ApprovalRule starts the pipeline when a model version of the group is approved
	// or rejected.
	ApprovalRule awsevents.Rule
	// DeploymentRole is the role CloudFormation deploys local endpoint stacks with; nil
	// when both stages deploy to other accounts or regions.
	DeploymentRole awsiam.Role
}

// NewModelDeploy creates the ModelDeploy resources. It panics when a required prop is
// missing or a value is out of range.
func NewModelDeploy(scope constructs.Construct, id string, props *ModelDeployProps) *ModelDeploy {
	s := newSettings(props)
	c := constructs.NewConstruct(scope, &id)
	d := &ModelDeploy{Construct: c}
	s.resolveTargets(awscdk.Stack_Of(c))
	if s.BuildNetwork.IsSet() {
		s.buildGroups = network.SecurityGroupIDs(c, "BuildSecurityGroup", s.BuildNetwork, "ModelDeploy builds of project "+s.Project.NameID())
	}
	d.BuildProject = newBuildProject(c, s)
	d.TestProject = newTestProject(c, s)
	if s.staging.IsLocal() || s.prod.IsLocal() {
		d.DeploymentRole = newDeploymentRole(c, s)
	}
	d.Pipeline = newPipeline(c, d, s)
	// A rejection starts the pipeline too: its build redeploys the newest version
	// still Approved when a stage serves the rejected one, and skips the deploy
	// stages when none does.
	d.ApprovalRule = s.Registry.OnStatus("ApprovalDecision", &awsevents.OnEventOptions{
		Description: jsii.String("Starts the deploy pipeline of project " + s.Project.NameID() + " when one of its model versions is approved or rejected"),
		Target:      awseventstargets.NewCodePipeline(d.Pipeline, nil),
	}, registry.ApprovedStatus, registry.RejectedStatus)
	suppressBuildFindings(d, s)
	return d
}

// settings are the props with their defaults, and where each stage deploys.
type settings struct {
	ModelDeployProps
	// staging and prod are the stages' targets, local when they are the stack's own
	// account and region.
	staging, prod project.Target
	// buildGroups are the builds' security groups in BuildNetwork.
	buildGroups []*string
}

// newSettings checks the props and fills in the defaults.
func newSettings(props *ModelDeployProps) *settings {
	props.Project.MustValidate()
	if props.Repository == nil || props.Artifacts == nil || props.Registry == nil {
		panic("ModelDeployProps.Repository, Artifacts and Registry are required")
	}
	s := &settings{ModelDeployProps: *props}
	if s.TestInvocations == 0 {
		s.TestInvocations = deploybuild.MinTestInvocations
	}
	if err := deploybuild.CheckTestInvocations(s.TestInvocations); err != nil {
		panic(fmt.Sprintf("ModelDeployProps.TestInvocations %d is invalid: %v", s.TestInvocations, err))
	}
	if s.TestP95LatencyMs == 0 {
		s.TestP95LatencyMs = deploybuild.DefaultTestP95LatencyMs
	}
	if err := deploybuild.CheckTestP95LatencyMs(s.TestP95LatencyMs); err != nil {
		panic(fmt.Sprintf("ModelDeployProps.TestP95LatencyMs %d is invalid: %v", s.TestP95LatencyMs, err))
	}
	for _, stage := range project.PipelineStages() {
		if err := s.network(stage).Check(); err != nil {
			panic("ModelDeployProps." + stage.Title() + "Network: " + err.Error())
		}
	}
	if err := s.BuildNetwork.Check(); err != nil {
		panic("ModelDeployProps.BuildNetwork: " + err.Error())
	}
	if s.GoProxy != "" {
		if err := network.CheckGoProxy(s.GoProxy); err != nil {
			panic(fmt.Sprintf("ModelDeployProps.GoProxy %q %v", s.GoProxy, err))
		}
	}
	if s.PipIndexURL != "" {
		if err := network.CheckPackageIndex(s.PipIndexURL); err != nil {
			panic(fmt.Sprintf("ModelDeployProps.PipIndexURL %q %v", s.PipIndexURL, err))
		}
	}
	if s.LogRetention == "" {
		s.LogRetention = awslogs.RetentionDays_THREE_MONTHS
	}
	if s.BootstrapQualifier == "" {
		s.BootstrapQualifier = deploybuild.DefaultBootstrapQualifier
	}
	return s
}

// target is where stage deploys, once resolved.
func (s *settings) target(stage project.Stage) project.Target {
	if stage == project.Prod {
		return s.prod
	}
	return s.staging
}

// network is the VPC stage's endpoint runs in.
func (s *settings) network(stage project.Stage) network.Placement {
	if stage == project.Prod {
		return s.ProdNetwork
	}
	return s.StagingNetwork
}

// monitored says whether stage may monitor its endpoint when it is elsewhere.
func (s *settings) monitored(stage project.Stage) bool {
	if stage == project.Prod {
		return s.ProdMonitored
	}
	return s.StagingMonitored
}

// capturePrefix is where stage may write captured data when it is elsewhere.
func (s *settings) capturePrefix(stage project.Stage) string {
	if stage == project.Prod {
		return s.ProdCapturePrefix
	}
	return s.StagingCapturePrefix
}

// resolveTargets fills a target's account or region from the stack's when only one of
// them is given, and makes a target equal to the stack's own environment local. It
// panics when a target is elsewhere but the stack's environment is not explicit.
func (s *settings) resolveTargets(stack awscdk.Stack) {
	resolve := func(prop string, t project.Target) project.Target {
		if t.IsLocal() {
			return t
		}
		if *awscdk.Token_IsUnresolved(stack.Account()) || *awscdk.Token_IsUnresolved(stack.Region()) {
			panic("ModelDeployProps." + prop + " deploys to account " + t.Account + " region " + t.Region + ": a stage in another account or region needs the pipeline's stack to have an explicit account and region (StackProps.Env)")
		}
		if t.Account == "" {
			t.Account = *stack.Account()
		}
		if t.Region == "" {
			t.Region = *stack.Region()
		}
		if t.Account == *stack.Account() && t.Region == *stack.Region() {
			return project.Target{}
		}
		return t
	}
	s.staging, s.prod = resolve("Staging", s.Staging), resolve("Prod", s.Prod)
}
