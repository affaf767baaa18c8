// Package modeldeploy provides the ModelDeploy half of the project: the pipeline that,
// whenever a model version is approved in the registry (or the ModelDeploy code
// changes), builds the endpoint stacks for the newest approved version, deploys the
// staging endpoint, tests it for real, waits for a person's approval, and deploys the
// production endpoint.
package modeldeploy

import (
	"strconv"
	"strings"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscodebuild"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscodepipeline"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscodepipelineactions"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsevents"
	"github.com/aws/aws-cdk-go/awscdk/v2/awseventstargets"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/aws-cdk-go/awscdk/v2/awskms"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslogs"
	"github.com/aws/aws-cdk-go/awscdk/v2/awss3"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"

	"github.com/sagemaker-mlops-cdk/mlops/constructs/artifacts"
	"github.com/sagemaker-mlops-cdk/mlops/constructs/endpoint"
	"github.com/sagemaker-mlops-cdk/mlops/constructs/project"
	"github.com/sagemaker-mlops-cdk/mlops/constructs/registry"
	"github.com/sagemaker-mlops-cdk/mlops/constructs/source"
	"github.com/sagemaker-mlops-cdk/mlops/internal/buildproject"
	"github.com/sagemaker-mlops-cdk/mlops/internal/cfnfix"
	"github.com/sagemaker-mlops-cdk/mlops/internal/nag"
)

// Files of the ModelDeploy repository and of its build output the pipeline relies on.
const (
	// BuildSpecFile builds the endpoint stacks.
	BuildSpecFile = "buildspec.yml"
	// TestBuildSpecFile runs the staging test gate.
	TestBuildSpecFile = "test-buildspec.yml"
	// StagingTemplate and ProdTemplate are the endpoint stacks' templates in the build
	// output: the seed app synthesizes its stacks with the ids Staging and Prod.
	StagingTemplate = "Staging.template.json"
	ProdTemplate    = "Prod.template.json"
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
	// TestInvocations is how many times the test gate invokes the staging endpoint.
	// Default: 20, the least allowed.
	TestInvocations int
	// TestP95LatencyMs is the latency budget of the test gate's 95th percentile.
	// Default: 500.
	TestP95LatencyMs int
	// LogRetention bounds how long build logs are kept. Default: three months.
	LogRetention awslogs.RetentionDays
	// Staging and Prod say where each stage's endpoint stack deploys. Default: the
	// pipeline's own account and region. A stage elsewhere is deployed through the CDK
	// bootstrap roles of its account and region, which must trust the pipeline's
	// account (`cdk bootstrap --trust <account>`); the pipeline's stack must then have
	// an explicit account and region.
	Staging, Prod Target
	// StagingCapturePrefix and ProdCapturePrefix are where the project lets a stage in
	// another account write captured data in the artifact bucket; "" for nowhere. The
	// build then fails when that stage's settings file captures data anywhere else,
	// which the stage account could not write. Not used for a stage in the pipeline's
	// own account, whose model role is granted its prefix by the endpoint stack.
	StagingCapturePrefix, ProdCapturePrefix string
	// BootstrapQualifier is the CDK bootstrap qualifier of the stage accounts. Default:
	// "hnb659fds", the CDK's.
	BootstrapQualifier string
	// PermissionsBoundary is the permissions boundary the endpoint stacks' roles must
	// carry: the deployment role may create roles only with it, and the build passes
	// its ARN to the endpoint stacks (EnvPermissionsBoundary). Default: none.
	PermissionsBoundary awsiam.IManagedPolicy
}

// EnvPermissionsBoundary is the build environment variable that carries the ARN of
// ModelDeployProps.PermissionsBoundary to the endpoint stacks.
const EnvPermissionsBoundary = "PERMISSIONS_BOUNDARY_ARN"

// Target is where a stage's endpoint stack deploys: an account and a region, each
// empty for the pipeline's own.
type Target struct {
	Account, Region string
}

// TestRoleName is the name of the test gate's role, `sagemaker-<id>-testing`, unique
// per account as role names must be.
func TestRoleName(p project.Identity) string { return "sagemaker-" + p.ID + "-testing" }

// IsLocal tells whether the target is the pipeline's own account and region.
func (t Target) IsLocal() bool { return t.Account == "" && t.Region == "" }

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
	// ApprovalRule starts the pipeline when a model version of the group is approved.
	ApprovalRule awsevents.Rule
	// DeploymentRole is the role CloudFormation deploys local endpoint stacks with; nil
	// when both stages deploy to other accounts or regions.
	DeploymentRole awsiam.Role
}

// NewModelDeploy creates the ModelDeploy resources. It panics when a required prop is
// missing or a value is out of range.
func NewModelDeploy(scope constructs.Construct, id string, props *ModelDeployProps) *ModelDeploy {
	props.Project.MustValidate()
	if props.Repository == nil || props.Artifacts == nil || props.Registry == nil {
		panic("ModelDeployProps.Repository, Artifacts and Registry are required")
	}
	invocations := props.TestInvocations
	if invocations == 0 {
		invocations = 20
	}
	if invocations < 20 {
		panic("ModelDeployProps.TestInvocations " + strconv.Itoa(invocations) + " is invalid: the test gate invokes the endpoint at least 20 times")
	}
	budget := props.TestP95LatencyMs
	if budget == 0 {
		budget = 500
	}
	if budget < 1 {
		panic("ModelDeployProps.TestP95LatencyMs " + strconv.Itoa(budget) + " is invalid: must be at least 1")
	}
	retention := props.LogRetention
	if retention == "" {
		retention = awslogs.RetentionDays_THREE_MONTHS
	}
	p := props.Project
	c := constructs.NewConstruct(scope, &id)
	d := &ModelDeploy{Construct: c}
	stack := awscdk.Stack_Of(c)
	staging, prod := resolveTarget(stack, "Staging", props.Staging), resolveTarget(stack, "Prod", props.Prod)

	name := p.ResourceName("modeldeploy")
	buildEnv := map[string]*string{
		"SAGEMAKER_PROJECT_NAME":          jsii.String(p.Name),
		"SAGEMAKER_PROJECT_ID":            jsii.String(p.ID),
		"SOURCE_MODEL_PACKAGE_GROUP_NAME": props.Registry.GroupName(),
		"ARTIFACT_BUCKET":                 props.Artifacts.BucketName(),
		"AWS_REGION":                      awscdk.Aws_REGION(),
	}
	// The seed app pins an endpoint stack to its stage's account and region only when
	// they are not the pipeline's; then the artifacts' account and region are explicit.
	for _, st := range []struct {
		prefix  string
		target  Target
		capture string
	}{{"STAGING", staging, props.StagingCapturePrefix}, {"PROD", prod, props.ProdCapturePrefix}} {
		if !st.target.IsLocal() {
			buildEnv[st.prefix+"_ACCOUNT_ID"] = jsii.String(st.target.Account)
			buildEnv[st.prefix+"_REGION"] = jsii.String(st.target.Region)
			buildEnv["ARTIFACTS_ACCOUNT_ID"] = stack.Account()
			buildEnv["ARTIFACTS_REGION"] = stack.Region()
			if st.capture != "" {
				buildEnv[st.prefix+"_CAPTURE_PREFIX"] = jsii.String(st.capture)
			}
		}
	}
	if props.PermissionsBoundary != nil {
		buildEnv[EnvPermissionsBoundary] = props.PermissionsBoundary.ManagedPolicyArn()
	}
	d.BuildProject = buildproject.New(c, "Build", &buildproject.Props{
		Name:          name,
		Description:   "Builds the endpoint stacks of the newest approved model version of project " + p.NameID(),
		Key:           props.Artifacts.Key(),
		Timeout:       awscdk.Duration_Minutes(jsii.Number(30)),
		LogRetention:  retention,
		BuildSpec:     awscodebuild.BuildSpec_FromSourceFilename(jsii.String(BuildSpecFile)),
		CacheLocation: goCache(props.Artifacts, name),
		Environment:   withGoCache(buildEnv),
	})
	props.Registry.GrantRead(d.BuildProject)
	props.Artifacts.GrantReadWrite(d.BuildProject, cachePrefix(name))

	testName := p.ResourceName("testing")
	stagingEndpoint := p.EndpointName("staging")
	testEnv := map[string]*string{
		"ENDPOINT_NAME":          jsii.String(stagingEndpoint),
		"TEST_INVOCATIONS":       jsii.String(strconv.Itoa(invocations)),
		"TEST_P95_LATENCY_MS":    jsii.String(strconv.Itoa(budget)),
		"AWS_REGION":             awscdk.Aws_REGION(),
		"SAGEMAKER_PROJECT_NAME": jsii.String(p.Name),
		"SAGEMAKER_PROJECT_ID":   jsii.String(p.ID),
	}
	// The test role has a known name: a staging account trusts exactly that role to
	// assume the endpoint's tester role.
	testRole := awsiam.NewRole(c, jsii.String("TestRole"), &awsiam.RoleProps{
		RoleName:    jsii.String(TestRoleName(p)),
		AssumedBy:   awsiam.NewServicePrincipal(jsii.String("codebuild.amazonaws.com"), nil),
		Description: jsii.String("Runs the staging test gate of SageMaker project " + p.NameID()),
	})
	if staging.IsLocal() {
		testRole.AddToPolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
			Sid:       jsii.String("InvokeStagingEndpoint"),
			Actions:   jsii.Strings("sagemaker:DescribeEndpoint", "sagemaker:InvokeEndpoint"),
			Resources: &[]*string{p.SageMakerArn(c, "endpoint", "-staging")},
		}))
	} else {
		tester := stack.FormatArn(&awscdk.ArnComponents{
			Service: jsii.String("iam"), Region: jsii.String(""), Account: jsii.String(staging.Account),
			Resource: jsii.String("role"), ResourceName: jsii.String(endpoint.TesterRoleName(p, "staging")),
		})
		testRole.AddToPolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
			Sid:       jsii.String("AssumeStagingTesterRole"),
			Actions:   jsii.Strings("sts:AssumeRole"),
			Resources: &[]*string{tester},
		}))
		testEnv["TEST_ROLE_ARN"] = tester
		testEnv["AWS_REGION"] = jsii.String(staging.Region)
	}
	d.TestProject = buildproject.New(c, "Test", &buildproject.Props{
		Name:          testName,
		Description:   "Tests the staging endpoint " + stagingEndpoint + " of project " + p.NameID() + " before the production approval",
		Role:          testRole,
		Key:           props.Artifacts.Key(),
		Timeout:       awscdk.Duration_Minutes(jsii.Number(30)),
		LogRetention:  retention,
		BuildSpec:     awscodebuild.BuildSpec_FromSourceFilename(jsii.String(TestBuildSpecFile)),
		CacheLocation: goCache(props.Artifacts, testName),
		Environment:   withGoCache(testEnv),
	})
	props.Artifacts.GrantReadWrite(d.TestProject, cachePrefix(testName))

	if staging.IsLocal() || prod.IsLocal() {
		d.DeploymentRole = newDeploymentRole(c, props)
	}
	d.Pipeline = newPipeline(c, d, props, name, staging, prod)
	d.ApprovalRule = props.Registry.OnApproved("ModelApproved", &awsevents.OnEventOptions{
		Description: jsii.String("Starts the deploy pipeline of project " + p.NameID() + " when one of its model versions is approved"),
		Target:      awseventstargets.NewCodePipeline(d.Pipeline, nil),
	})

	suppressBuildFindings(d, props, name, testName)
	return d
}

// goCache keeps Go's module and build caches of a project in the artifact bucket, so
// they survive between builds.
func goCache(a artifacts.IArtifactStore, project string) *string {
	return jsii.String(*a.BucketName() + "/" + strings.TrimSuffix(cachePrefix(project), "/"))
}

func cachePrefix(project string) string { return "codebuild-cache/" + project + "/" }

// GoModCache and GoBuildCache are where the builds keep Go's caches; the seed's
// buildspecs list them as cache paths.
const (
	GoModCache   = "/root/.cache/go-mod"
	GoBuildCache = "/root/.cache/go-build"
)

func withGoCache(env map[string]*string) map[string]*string {
	env["GOMODCACHE"] = jsii.String(GoModCache)
	env["GOCACHE"] = jsii.String(GoBuildCache)
	return env
}

// resolveTarget fills a target's account or region from the stack's when only one of
// them is given, and makes a target equal to the stack's own environment local. It
// panics when the target is elsewhere but the stack's environment is not explicit.
func resolveTarget(stack awscdk.Stack, prop string, t Target) Target {
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
		return Target{}
	}
	return t
}

// pipelineArtifacts is where the deploy pipeline keeps its artifacts: the project's
// bucket when every stage is local; otherwise a bucket of its own, since the stage
// accounts' deploy roles must read the pipeline's artifacts (CDK grants them the whole
// bucket) and should read nothing else of the project's.
func pipelineArtifacts(scope constructs.Construct, props *ModelDeployProps, staging, prod Target) awss3.IBucket {
	if staging.IsLocal() && prod.IsLocal() {
		return props.Artifacts.Bucket()
	}
	if props.Artifacts.AccessLogs() == nil {
		panic("ModelDeployProps.Artifacts has no access-log bucket: a deploy pipeline with a stage in another account keeps its artifacts in a bucket of its own, which logs to the store's access-log bucket; import the store with ArtifactBucketAttributes.AccessLogs")
	}
	key := awskms.NewKey(scope, jsii.String("PipelineArtifactsKey"), &awskms.KeyProps{
		Description:       jsii.String("Encrypts the deploy pipeline artifacts of SageMaker project " + props.Project.NameID()),
		EnableKeyRotation: jsii.Bool(true),
		RemovalPolicy:     awscdk.RemovalPolicy_DESTROY,
		PendingWindow:     awscdk.Duration_Days(jsii.Number(7)),
	})
	bucket := awss3.NewBucket(scope, jsii.String("PipelineArtifacts"), &awss3.BucketProps{
		Encryption:             awss3.BucketEncryption_KMS,
		EncryptionKey:          key,
		BucketKeyEnabled:       jsii.Bool(true),
		BlockPublicAccess:      awss3.BlockPublicAccess_BLOCK_ALL(),
		EnforceSSL:             jsii.Bool(true),
		ObjectOwnership:        awss3.ObjectOwnership_BUCKET_OWNER_ENFORCED,
		ServerAccessLogsBucket: props.Artifacts.AccessLogs(),
		ServerAccessLogsPrefix: jsii.String("deploy-pipeline-artifacts/"),
		RemovalPolicy:          awscdk.RemovalPolicy_DESTROY,
		AutoDeleteObjects:      jsii.Bool(true),
		LifecycleRules:         &[]*awss3.LifecycleRule{{Id: jsii.String("ExpireArtifacts"), Expiration: awscdk.Duration_Days(jsii.Number(30))}},
	})
	cfnfix.ProviderRoleDependency(awscdk.Stack_Of(scope), "Custom::S3AutoDeleteObjectsCustomResourceProvider")
	return bucket
}

// bootstrapRole imports a CDK bootstrap role of the target, e.g. "deploy-role" or
// "cfn-exec-role".
func bootstrapRole(scope constructs.Construct, id, qualifier, role string, t Target) awsiam.IRole {
	arn := awscdk.Stack_Of(scope).FormatArn(&awscdk.ArnComponents{
		Service: jsii.String("iam"), Region: jsii.String(""), Account: jsii.String(t.Account),
		Resource: jsii.String("role"), ResourceName: jsii.String("cdk-" + qualifier + "-" + role + "-" + t.Account + "-" + t.Region),
	})
	return awsiam.Role_FromRoleArn(scope, jsii.String(id), arn, &awsiam.FromRoleArnOptions{Mutable: jsii.Bool(false)})
}

func newPipeline(scope constructs.Construct, d *ModelDeploy, props *ModelDeployProps, name string, staging, prod Target) awscodepipeline.Pipeline {
	p := props.Project
	sourceOutput := awscodepipeline.NewArtifact(jsii.String("ModelDeploySource"), nil)
	buildOutput := awscodepipeline.NewArtifact(jsii.String("EndpointStacks"), nil)
	testReport := awscodepipeline.NewArtifact(jsii.String("StagingTestReport"), nil)
	sourceAction := props.Repository.SourceAction("Source", sourceOutput)
	qualifier := props.BootstrapQualifier
	if qualifier == "" {
		qualifier = "hnb659fds"
	}
	// Staging is disposable: a stack left in a failed state is replaced. Production is
	// never deleted by the pipeline. A stage elsewhere deploys through its account's
	// CDK bootstrap roles; a cross-account staging stack names its tester role.
	deploy := func(stage, template string, t Target) awscodepipeline.IAction {
		action := &awscodepipelineactions.CloudFormationCreateUpdateStackActionProps{
			ActionName:       jsii.String("Deploy"),
			RunOrder:         jsii.Number(1),
			StackName:        jsii.String(p.DeployStackName(stage)),
			TemplatePath:     buildOutput.AtPath(jsii.String(template)),
			AdminPermissions: jsii.Bool(false),
			DeploymentRole:   d.DeploymentRole,
			ReplaceOnFailure: jsii.Bool(stage == "staging"),
			CfnCapabilities:  &[]awscdk.CfnCapabilities{awscdk.CfnCapabilities_ANONYMOUS_IAM},
		}
		if !t.IsLocal() {
			id := strings.ToUpper(stage[:1]) + stage[1:]
			action.Role = bootstrapRole(scope, id+"BootstrapDeployRole", qualifier, "deploy-role", t)
			action.DeploymentRole = bootstrapRole(scope, id+"BootstrapExecutionRole", qualifier, "cfn-exec-role", t)
			action.Account = jsii.String(t.Account)
			if t.Region != *awscdk.Stack_Of(scope).Region() {
				action.Region = jsii.String(t.Region)
			}
			action.CfnCapabilities = &[]awscdk.CfnCapabilities{awscdk.CfnCapabilities_NAMED_IAM}
		}
		return awscodepipelineactions.NewCloudFormationCreateUpdateStackAction(action)
	}
	pipeline := awscodepipeline.NewPipeline(scope, jsii.String("Pipeline"), &awscodepipeline.PipelineProps{
		PipelineName:             jsii.String(name),
		PipelineType:             awscodepipeline.PipelineType_V2,
		ArtifactBucket:           pipelineArtifacts(scope, props, staging, prod),
		RestartExecutionOnUpdate: jsii.Bool(false),
		Stages: &[]*awscodepipeline.StageProps{
			{StageName: jsii.String("Source"), Actions: &[]awscodepipeline.IAction{sourceAction}},
			{StageName: jsii.String("Build"), Actions: &[]awscodepipeline.IAction{
				awscodepipelineactions.NewCodeBuildAction(&awscodepipelineactions.CodeBuildActionProps{
					ActionName: jsii.String("BuildEndpointStacks"),
					Project:    d.BuildProject,
					Input:      sourceOutput,
					Outputs:    &[]awscodepipeline.Artifact{buildOutput},
				}),
			}},
			{StageName: jsii.String("DeployStaging"), Actions: &[]awscodepipeline.IAction{
				deploy("staging", StagingTemplate, staging),
				awscodepipelineactions.NewCodeBuildAction(&awscodepipelineactions.CodeBuildActionProps{
					ActionName: jsii.String("TestStaging"),
					RunOrder:   jsii.Number(2),
					Project:    d.TestProject,
					Input:      sourceOutput,
					Outputs:    &[]awscodepipeline.Artifact{testReport},
				}),
				awscodepipelineactions.NewManualApprovalAction(&awscodepipelineactions.ManualApprovalActionProps{
					ActionName:            jsii.String("ApproveDeployment"),
					RunOrder:              jsii.Number(3),
					AdditionalInformation: jsii.String("Approve this model for Production: the staging endpoint " + p.EndpointName("staging") + " passed the test gate (report in the StagingTestReport artifact)."),
				}),
			}},
			{StageName: jsii.String("DeployProd"), Actions: &[]awscodepipeline.IAction{deploy("prod", ProdTemplate, prod)}},
		},
	})
	props.Repository.ConnectPipeline(pipeline, sourceAction)
	cfnfix.PipelineRoleDependency(pipeline)
	if role := sourceAction.ActionProperties().Role; role != nil {
		nag.Suppress(role, nag.PipelineArtifactsRule(pipeline.ArtifactBucket()))
	}
	return pipeline
}

// newDeploymentRole creates the role CloudFormation assumes to deploy the endpoint
// stacks: it can manage only the project's endpoints, models and endpoint configs
// (recognized by the project-id tag), the model roles under the project's IAM path,
// and their autoscaling.
func newDeploymentRole(scope constructs.Construct, props *ModelDeployProps) awsiam.Role {
	p := props.Project
	stack := awscdk.Stack_Of(scope)
	role := awsiam.NewRole(scope, jsii.String("DeploymentRole"), &awsiam.RoleProps{
		AssumedBy:   awsiam.NewServicePrincipal(jsii.String("cloudformation.amazonaws.com"), nil),
		Description: jsii.String("Deploys the endpoint stacks of SageMaker project " + p.NameID()),
	})
	modelRoles := stack.FormatArn(&awscdk.ArnComponents{
		Service: jsii.String("iam"), Region: jsii.String(""), Resource: jsii.String("role"),
		ResourceName: jsii.String(strings.Trim(endpoint.RolePath(p), "/") + "/*"),
	})
	endpoints := []*string{
		p.SageMakerArn(scope, "endpoint", "-staging"),
		p.SageMakerArn(scope, "endpoint", "-prod"),
	}
	tagged := func(key string) *map[string]any {
		return &map[string]any{"StringEquals": map[string]any{key + "/" + project.TagProjectID: p.ID}}
	}
	statements := []*awsiam.PolicyStatementProps{
		modelRoleStatement(modelRoles, props.PermissionsBoundary),
		{Sid: jsii.String("PassModelRoles"), Resources: &[]*string{modelRoles}, Actions: jsii.Strings("iam:PassRole"),
			Conditions: &map[string]any{"StringEquals": map[string]any{"iam:PassedToService": "sagemaker.amazonaws.com"}}},
		{Sid: jsii.String("ManageEndpoints"), Resources: &endpoints, Actions: jsii.Strings(
			"sagemaker:CreateEndpoint", "sagemaker:UpdateEndpoint", "sagemaker:DeleteEndpoint", "sagemaker:DescribeEndpoint",
			"sagemaker:AddTags", "sagemaker:DeleteTags", "sagemaker:ListTags", "sagemaker:UpdateEndpointWeightsAndCapacities")},
		{Sid: jsii.String("CreateTaggedModelsAndConfigs"), Actions: jsii.Strings("sagemaker:CreateModel", "sagemaker:CreateEndpointConfig", "sagemaker:AddTags"),
			Resources:  &[]*string{project.SageMakerArn(scope, "model", "*"), project.SageMakerArn(scope, "endpoint-config", "*")},
			Conditions: tagged("aws:RequestTag")},
		{Sid: jsii.String("ManageTaggedModelsAndConfigs"), Actions: jsii.Strings(
			"sagemaker:DescribeModel", "sagemaker:DeleteModel", "sagemaker:DescribeEndpointConfig", "sagemaker:DeleteEndpointConfig",
			"sagemaker:ListTags", "sagemaker:DeleteTags"),
			Resources:  &[]*string{project.SageMakerArn(scope, "model", "*"), project.SageMakerArn(scope, "endpoint-config", "*")},
			Conditions: tagged("aws:ResourceTag")},
		// SageMaker creates grants on the endpoint config's storage and capture key with
		// the credentials of whoever creates the endpoint, for itself only.
		{Sid: jsii.String("LetSageMakerUseTheProjectKey"), Actions: jsii.Strings("kms:CreateGrant"),
			Resources:  &[]*string{props.Artifacts.KeyArn()},
			Conditions: &map[string]any{"Bool": map[string]any{"kms:GrantIsForAWSResource": true}}},
		{Sid: jsii.String("DescribeTheProjectKey"), Actions: jsii.Strings("kms:DescribeKey"),
			Resources: &[]*string{props.Artifacts.KeyArn()}},
		{Sid: jsii.String("AutoscalingAlarms"), Actions: jsii.Strings("cloudwatch:PutMetricAlarm", "cloudwatch:DescribeAlarms", "cloudwatch:DeleteAlarms"),
			Resources: &[]*string{stack.FormatArn(&awscdk.ArnComponents{
				Service: jsii.String("cloudwatch"), Resource: jsii.String("alarm"), ArnFormat: awscdk.ArnFormat_COLON_RESOURCE_NAME,
				ResourceName: jsii.String("TargetTracking-endpoint/" + p.NameID() + "-*"),
			})}},
		{Sid: jsii.String("AutoscalingServiceLinkedRole"), Actions: jsii.Strings("iam:CreateServiceLinkedRole"),
			Resources: &[]*string{stack.FormatArn(&awscdk.ArnComponents{
				Service: jsii.String("iam"), Region: jsii.String(""), Resource: jsii.String("role"),
				ResourceName: jsii.String("aws-service-role/sagemaker.application-autoscaling.amazonaws.com/AWSServiceRoleForApplicationAutoScaling_SageMakerEndpoint"),
			})},
			Conditions: &map[string]any{"StringLike": map[string]any{"iam:AWSServiceName": "sagemaker.application-autoscaling.amazonaws.com"}}},
	}
	if props.PermissionsBoundary != nil {
		statements = append(statements, &awsiam.PolicyStatementProps{
			Sid: jsii.String("CreateBoundedModelRoles"), Resources: &[]*string{modelRoles},
			Actions:    jsii.Strings("iam:CreateRole", "iam:PutRolePolicy", "iam:PutRolePermissionsBoundary"),
			Conditions: &map[string]any{"StringEquals": map[string]any{"iam:PermissionsBoundary": props.PermissionsBoundary.ManagedPolicyArn()}},
		})
	}
	for _, s := range statements {
		role.AddToPolicy(awsiam.NewPolicyStatement(s))
	}
	props.Registry.GrantRead(role)
	// Application Auto Scaling's actions support no resource-level permissions.
	autoscaling := awsiam.NewPolicy(scope, jsii.String("DeploymentAutoscalingPolicy"), &awsiam.PolicyProps{
		Roles: &[]awsiam.IRole{role},
		Statements: &[]awsiam.PolicyStatement{awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
			Sid: jsii.String("EndpointAutoscaling"),
			Actions: jsii.Strings(
				"application-autoscaling:RegisterScalableTarget", "application-autoscaling:DeregisterScalableTarget",
				"application-autoscaling:DescribeScalableTargets", "application-autoscaling:PutScalingPolicy",
				"application-autoscaling:DeleteScalingPolicy", "application-autoscaling:DescribeScalingPolicies"),
			Resources: jsii.Strings("*"),
		})},
	})
	nag.Suppress(autoscaling, nag.Rule{
		ID:        "AwsSolutions-IAM5",
		Reason:    "Application Auto Scaling's scalable target and scaling policy actions support no resource-level permissions.",
		AppliesTo: []string{"Resource::*"},
	})
	nag.Suppress(role, nag.Rule{
		ID:        "AwsSolutions-IAM5",
		Reason:    "Model and endpoint config names are generated by CloudFormation, so these grants match any name but only resources tagged with this project's id; model roles are limited to the project's IAM path, alarms to its endpoints' names, model versions to its group; ListModelPackages supports no resource-level permissions.",
		AppliesTo: []string{"Resource::*"},
		AppliesToPatterns: []string{
			nag.ArnPattern("sagemaker", "model/*"), nag.ArnPattern("sagemaker", "endpoint-config/*"),
			nag.ArnPattern("iam", "role"+nag.Text(scope, endpoint.RolePath(p))+"*"),
			nag.ArnPattern("cloudwatch", "alarm:TargetTracking-endpoint/"+nag.Text(scope, p.NameID())+"-*"),
			nag.ArnPatternOf(scope, props.Registry.PackagesArn()),
		},
	})
	return role
}

// modelRoleStatement lets CloudFormation manage the model roles under the project's
// path. With a permissions boundary, creating a role and writing its policy are left
// to a statement that requires the boundary, so no role escapes it.
func modelRoleStatement(modelRoles *string, boundary awsiam.IManagedPolicy) *awsiam.PolicyStatementProps {
	var actions []string
	for _, a := range []string{
		"iam:CreateRole", "iam:DeleteRole", "iam:GetRole", "iam:UpdateRole", "iam:UpdateRoleDescription",
		"iam:UpdateAssumeRolePolicy", "iam:TagRole", "iam:UntagRole",
		"iam:PutRolePolicy", "iam:DeleteRolePolicy", "iam:GetRolePolicy",
		"iam:ListRolePolicies", "iam:ListAttachedRolePolicies",
	} {
		if boundary == nil || a != "iam:CreateRole" && a != "iam:PutRolePolicy" {
			actions = append(actions, a)
		}
	}
	return &awsiam.PolicyStatementProps{Sid: jsii.String("ManageModelRoles"), Resources: &[]*string{modelRoles}, Actions: jsii.Strings(actions...)}
}

// suppressBuildFindings explains the wildcards CDK's CodeBuild and CodePipeline grants
// carry.
func suppressBuildFindings(d *ModelDeploy, props *ModelDeployProps, buildName, testName string) {
	artifactsRule := nag.PipelineArtifactsRule(d.Pipeline.ArtifactBucket())
	for _, pr := range []struct {
		project awscodebuild.PipelineProject
		name    string
	}{{d.BuildProject, buildName}, {d.TestProject, testName}} {
		patterns := []string{
			nag.ArnPattern("codebuild", "report-group/"+nag.Ref(pr.project)+"-*"),
			nag.ArnPattern("logs", "log-group:/aws/codebuild/"+nag.Ref(pr.project)+":*"),
		}
		applies := append([]string{nag.Resource(pr.project, props.Artifacts.ObjectsArn(cachePrefix(pr.name)))}, artifactsRule.AppliesTo...)
		reason := "CDK's standard CodeBuild grants read the pipeline's input and write its output under generated keys of the project's pipeline artifact bucket; the build cache lives under this project's cache prefix; report groups and log streams have generated names under this project's prefixes."
		if pr.project == d.BuildProject {
			applies = append(applies, "Resource::*")
			patterns = append(patterns, nag.ArnPatternOf(d.Construct, props.Registry.PackagesArn()))
			reason += " The build lists the group's model versions (ListModelPackages supports no resource-level permissions) and describes them."
		}
		rule := nag.Rule{ID: "AwsSolutions-IAM5", Reason: reason, AppliesTo: applies, AppliesToPatterns: patterns}
		nag.Suppress(pr.project, rule)
		nag.Suppress(pr.project.Role(), rule)
	}
	p := props.Project
	nag.Suppress(d.Pipeline, artifactsRule, nag.Rule{
		ID:        "AwsSolutions-IAM5",
		Reason:    "CDK's standard grants let the CloudFormation actions describe and update exactly the two endpoint stacks (a stack ARN ends in a generated id).",
		AppliesTo: []string{"Action::cloudformation:DescribeStack*", "Action::cloudformation:GetTemplate*"},
		AppliesToPatterns: []string{
			nag.ArnPattern("cloudformation", "stack/"+nag.Text(d.Construct, p.DeployStackName("staging"))+"/*"),
			nag.ArnPattern("cloudformation", "stack/"+nag.Text(d.Construct, p.DeployStackName("prod"))+"/*"),
		},
	})
}
