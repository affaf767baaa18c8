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
	"github.com/aws/aws-cdk-go/awscdk/v2/awslogs"
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
	// ApprovedStatus is the only model approval status that starts a deployment.
	ApprovedStatus = "Approved"
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
	Artifacts *artifacts.ArtifactBucket
	// Registry is the model package group whose approvals start the pipeline.
	// Required.
	Registry *registry.ModelRegistry
	// TestInvocations is how many times the test gate invokes the staging endpoint.
	// Default: 20, the least allowed.
	TestInvocations int
	// TestP95LatencyMs is the latency budget of the test gate's 95th percentile.
	// Default: 500.
	TestP95LatencyMs int
	// LogRetention bounds how long build logs are kept. Default: three months.
	LogRetention awslogs.RetentionDays
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
	// ApprovalRule starts the pipeline when a model version of the group is approved.
	ApprovalRule awsevents.Rule
	// DeploymentRole is the role CloudFormation deploys the endpoint stacks with.
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

	name := p.ResourceName("modeldeploy")
	d.BuildProject = buildproject.New(c, "Build", &buildproject.Props{
		Name:         name,
		Description:  "Builds the endpoint stacks of the newest approved model version of project " + p.NameID(),
		Key:          props.Artifacts.Key,
		Timeout:      awscdk.Duration_Minutes(jsii.Number(30)),
		LogRetention: retention,
		BuildSpec:    awscodebuild.BuildSpec_FromSourceFilename(jsii.String(BuildSpecFile)),
		Cache:        goCache(props.Artifacts, name),
		Environment: withGoCache(map[string]*string{
			"SAGEMAKER_PROJECT_NAME":          jsii.String(p.Name),
			"SAGEMAKER_PROJECT_ID":            jsii.String(p.ID),
			"SOURCE_MODEL_PACKAGE_GROUP_NAME": jsii.String(props.Registry.GroupName),
			"ARTIFACT_BUCKET":                 props.Artifacts.Bucket.BucketName(),
			"AWS_REGION":                      awscdk.Aws_REGION(),
		}),
	})
	props.Registry.GrantRead(d.BuildProject)
	props.Artifacts.GrantReadWrite(d.BuildProject, cachePrefix(name))

	testName := p.ResourceName("testing")
	stagingEndpoint := p.EndpointName("staging")
	d.TestProject = buildproject.New(c, "Test", &buildproject.Props{
		Name:         testName,
		Description:  "Tests the staging endpoint " + stagingEndpoint + " of project " + p.NameID() + " before the production approval",
		Key:          props.Artifacts.Key,
		Timeout:      awscdk.Duration_Minutes(jsii.Number(30)),
		LogRetention: retention,
		BuildSpec:    awscodebuild.BuildSpec_FromSourceFilename(jsii.String(TestBuildSpecFile)),
		Cache:        goCache(props.Artifacts, testName),
		Environment: withGoCache(map[string]*string{
			"ENDPOINT_NAME":          jsii.String(stagingEndpoint),
			"TEST_INVOCATIONS":       jsii.String(strconv.Itoa(invocations)),
			"TEST_P95_LATENCY_MS":    jsii.String(strconv.Itoa(budget)),
			"AWS_REGION":             awscdk.Aws_REGION(),
			"SAGEMAKER_PROJECT_NAME": jsii.String(p.Name),
			"SAGEMAKER_PROJECT_ID":   jsii.String(p.ID),
		}),
	})
	d.TestProject.AddToRolePolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
		Sid:       jsii.String("InvokeStagingEndpoint"),
		Actions:   jsii.Strings("sagemaker:DescribeEndpoint", "sagemaker:InvokeEndpoint"),
		Resources: &[]*string{project.SageMakerArn(c, "endpoint", stagingEndpoint)},
	}))
	props.Artifacts.GrantReadWrite(d.TestProject, cachePrefix(testName))

	d.DeploymentRole = newDeploymentRole(c, props)
	d.Pipeline = newPipeline(c, d, props, name)
	d.ApprovalRule = awsevents.NewRule(c, jsii.String("ModelApproved"), &awsevents.RuleProps{
		Description: jsii.String("Starts the deploy pipeline of project " + p.NameID() + " when one of its model versions is approved"),
		EventPattern: &awsevents.EventPattern{
			Source:     jsii.Strings("aws.sagemaker"),
			DetailType: jsii.Strings("SageMaker Model Package State Change"),
			Detail: &map[string]interface{}{
				"ModelPackageGroupName": []string{props.Registry.GroupName},
				"ModelApprovalStatus":   []string{ApprovedStatus},
			},
		},
		Targets: &[]awsevents.IRuleTarget{awseventstargets.NewCodePipeline(d.Pipeline, nil)},
	})

	suppressBuildFindings(d, props, name, testName)
	return d
}

// goCache keeps Go's module and build caches of a project in the artifact bucket, so
// they survive between builds.
func goCache(a *artifacts.ArtifactBucket, project string) awscodebuild.Cache {
	return awscodebuild.Cache_Bucket(a.Bucket, &awscodebuild.BucketCacheOptions{Prefix: jsii.String(strings.TrimSuffix(cachePrefix(project), "/"))})
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

func newPipeline(scope constructs.Construct, d *ModelDeploy, props *ModelDeployProps, name string) awscodepipeline.Pipeline {
	p := props.Project
	sourceOutput := awscodepipeline.NewArtifact(jsii.String("ModelDeploySource"), nil)
	buildOutput := awscodepipeline.NewArtifact(jsii.String("EndpointStacks"), nil)
	testReport := awscodepipeline.NewArtifact(jsii.String("StagingTestReport"), nil)
	sourceAction := props.Repository.SourceAction("Source", sourceOutput)
	// Staging is disposable: a stack left in a failed state is replaced. Production is
	// never deleted by the pipeline.
	deploy := func(stage, template string) awscodepipeline.IAction {
		return awscodepipelineactions.NewCloudFormationCreateUpdateStackAction(&awscodepipelineactions.CloudFormationCreateUpdateStackActionProps{
			ActionName:       jsii.String("Deploy"),
			RunOrder:         jsii.Number(1),
			StackName:        jsii.String(p.DeployStackName(stage)),
			TemplatePath:     buildOutput.AtPath(jsii.String(template)),
			AdminPermissions: jsii.Bool(false),
			DeploymentRole:   d.DeploymentRole,
			ReplaceOnFailure: jsii.Bool(stage == "staging"),
			CfnCapabilities:  &[]awscdk.CfnCapabilities{awscdk.CfnCapabilities_ANONYMOUS_IAM},
		})
	}
	pipeline := awscodepipeline.NewPipeline(scope, jsii.String("Pipeline"), &awscodepipeline.PipelineProps{
		PipelineName:             jsii.String(name),
		PipelineType:             awscodepipeline.PipelineType_V2,
		ArtifactBucket:           props.Artifacts.Bucket,
		RestartExecutionOnUpdate: jsii.Bool(false),
		Triggers:                 props.Repository.Triggers(sourceAction),
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
				deploy("staging", StagingTemplate),
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
			{StageName: jsii.String("DeployProd"), Actions: &[]awscodepipeline.IAction{deploy("prod", ProdTemplate)}},
		},
	})
	cfnfix.PipelineRoleDependency(pipeline)
	if role := sourceAction.ActionProperties().Role; role != nil {
		nag.Suppress(role, props.Artifacts.PipelineArtifactsRule())
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
		project.SageMakerArn(scope, "endpoint", p.EndpointName("staging")),
		project.SageMakerArn(scope, "endpoint", p.EndpointName("prod")),
	}
	tagged := func(key string) *map[string]any {
		return &map[string]any{"StringEquals": map[string]any{key + "/" + project.TagProjectID: p.ID}}
	}
	statements := []*awsiam.PolicyStatementProps{
		{Sid: jsii.String("ManageModelRoles"), Resources: &[]*string{modelRoles}, Actions: jsii.Strings(
			"iam:CreateRole", "iam:DeleteRole", "iam:GetRole", "iam:UpdateRole", "iam:UpdateRoleDescription",
			"iam:UpdateAssumeRolePolicy", "iam:TagRole", "iam:UntagRole",
			"iam:PutRolePolicy", "iam:DeleteRolePolicy", "iam:GetRolePolicy")},
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
			nag.ArnPattern("iam", "role"+endpoint.RolePath(p)+"*"),
			nag.ArnPattern("cloudwatch", "alarm:TargetTracking-endpoint/"+p.NameID()+"-*"),
			nag.ArnPattern("sagemaker", "model-package/"+strings.ToLower(props.Registry.GroupName)+"/*"),
		},
	})
	return role
}

// suppressBuildFindings explains the wildcards CDK's CodeBuild and CodePipeline grants
// carry.
func suppressBuildFindings(d *ModelDeploy, props *ModelDeployProps, buildName, testName string) {
	for _, pr := range []struct {
		project awscodebuild.PipelineProject
		name    string
	}{{d.BuildProject, buildName}, {d.TestProject, testName}} {
		patterns := []string{
			nag.ArnPattern("codebuild", "report-group/"+nag.Ref(pr.project)+"-*"),
			nag.ArnPattern("logs", "log-group:/aws/codebuild/"+nag.Ref(pr.project)+":*"),
		}
		applies := append([]string{props.Artifacts.ObjectsFinding(cachePrefix(pr.name))}, nag.PipelineArtifactActions...)
		reason := "CDK's standard CodeBuild grants read the pipeline's input and write its output under generated keys of the project's own bucket; the build cache lives under this project's cache prefix; report groups and log streams have generated names under this project's prefixes."
		if pr.project == d.BuildProject {
			applies = append(applies, "Resource::*", props.Artifacts.ObjectsFinding(""))
			patterns = append(patterns, nag.ArnPattern("sagemaker", "model-package/"+strings.ToLower(props.Registry.GroupName)+"/*"))
			reason += " The build lists the group's model versions (ListModelPackages supports no resource-level permissions) and describes them."
		} else {
			applies = append(applies, props.Artifacts.ObjectsFinding(""))
		}
		nag.Suppress(pr.project, nag.Rule{ID: "AwsSolutions-IAM5", Reason: reason, AppliesTo: applies, AppliesToPatterns: patterns})
	}
	p := props.Project
	nag.Suppress(d.Pipeline, props.Artifacts.PipelineArtifactsRule(), nag.Rule{
		ID:        "AwsSolutions-IAM5",
		Reason:    "CDK's standard grants let the CloudFormation actions describe and update exactly the two endpoint stacks (a stack ARN ends in a generated id).",
		AppliesTo: []string{"Action::cloudformation:DescribeStack*", "Action::cloudformation:GetTemplate*"},
		AppliesToPatterns: []string{
			nag.ArnPattern("cloudformation", "stack/"+p.DeployStackName("staging")+"/*"),
			nag.ArnPattern("cloudformation", "stack/"+p.DeployStackName("prod")+"/*"),
		},
	})
}
