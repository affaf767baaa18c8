package stacks

import (
	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/aws-cdk-go/awscdk/v2/awskms"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"

	"github.com/sagemaker-mlops-cdk/mlops/config"
	"github.com/sagemaker-mlops-cdk/mlops/constructs/artifacts"
	"github.com/sagemaker-mlops-cdk/mlops/constructs/endpoint"
	"github.com/sagemaker-mlops-cdk/mlops/constructs/modeldeploy"
	"github.com/sagemaker-mlops-cdk/mlops/constructs/project"
)

// ModelPackageParameter is the CloudFormation parameter an endpoint stack takes its
// model version from when none is given at synthesis.
const ModelPackageParameter = "ModelPackageArn"

// EndpointStackProps configures an EndpointStack.
type EndpointStackProps struct {
	awscdk.StackProps
	// Project owns the endpoint and the artifact bucket. Required.
	Project project.Identity
	// StageName is the stage, staging or prod. Required.
	StageName string
	// Stage is the stage's endpoint configuration. Required.
	Stage config.Stage
	// ModelPackageArn is the model version to serve. Default: the stack takes it as the
	// CloudFormation parameter ModelPackageArn.
	ModelPackageArn string
	// ArtifactsAccount and ArtifactsRegion are where the project's artifact bucket and
	// key live. Default: the endpoint stack's own account and region. When they are
	// another account, the endpoint's storage is encrypted with a key of the stack's
	// own, and the project's test gate in that account (its role
	// modeldeploy.TestRoleName) may invoke the staging endpoint.
	ArtifactsAccount, ArtifactsRegion string
	// PermissionsBoundaryArn bounds every role of the stack: the project's deployment
	// role may create only roles that carry it (see
	// modeldeploy.ModelDeployProps.PermissionsBoundary). Default: no boundary.
	PermissionsBoundaryArn string
}

// EndpointStack deploys one stage's endpoint, `sagemaker-<name>-<id>-deploy-<stage>`.
// It refers to the project's artifact bucket and key by name, holds no asset and needs
// no bootstrap version check, so the deploy pipeline can deploy its template with a
// plain CloudFormation action. The same inputs always give the same template.
type EndpointStack struct {
	awscdk.Stack
	// Endpoint is the stage's endpoint.
	Endpoint *endpoint.Endpoint
}

// NewEndpointStack creates the endpoint stack. It panics when the props are invalid.
func NewEndpointStack(scope constructs.Construct, id string, props *EndpointStackProps) *EndpointStack {
	sp := props.StackProps
	if sp.StackName == nil {
		sp.StackName = jsii.String(props.Project.DeployStackName(props.StageName))
	}
	if sp.Description == nil {
		sp.Description = jsii.String("SageMaker endpoint " + props.Project.EndpointName(props.StageName) + " of project " + props.Project.NameID())
	}
	if sp.Synthesizer == nil {
		sp.Synthesizer = awscdk.NewDefaultStackSynthesizer(&awscdk.DefaultStackSynthesizerProps{
			GenerateBootstrapVersionRule: jsii.Bool(false),
		})
	}
	stack := awscdk.NewStack(scope, &id, &sp)
	props.Project.ApplyTags(stack)
	awscdk.Tags_Of(stack).Add(jsii.String("sagemaker:deployment-stage"), jsii.String(props.StageName), nil)
	if props.PermissionsBoundaryArn != "" {
		awsiam.PermissionsBoundary_Of(stack).Apply(awsiam.ManagedPolicy_FromManagedPolicyArn(stack, jsii.String("PermissionsBoundary"), &props.PermissionsBoundaryArn))
	}

	packageArn := props.ModelPackageArn
	if packageArn == "" {
		packageArn = *awscdk.NewCfnParameter(stack, jsii.String(ModelPackageParameter), &awscdk.CfnParameterProps{
			Type:           jsii.String("String"),
			Description:    jsii.String("ARN of the approved model package version the endpoint serves"),
			AllowedPattern: jsii.String(`^arn:aws[a-z-]*:sagemaker:[a-z0-9-]+:[0-9]{12}:model-package/.+/[0-9]+$`),
		}).ValueAsString()
	}
	instance, serverless, capture := props.Stage.EndpointHosting()
	var storageKey awskms.IKey
	testerRole := ""
	if remote := props.ArtifactsAccount; remote != "" && remote != *stack.Account() {
		if instance != nil {
			storageKey = awskms.NewKey(stack, jsii.String("StorageKey"), &awskms.KeyProps{
				Description:       jsii.String("Encrypts the storage of endpoint " + props.Project.EndpointName(props.StageName)),
				EnableKeyRotation: jsii.Bool(true),
				RemovalPolicy:     awscdk.RemovalPolicy_DESTROY,
				PendingWindow:     awscdk.Duration_Days(jsii.Number(7)),
			})
		}
		if props.StageName == "staging" {
			testerRole = "arn:" + *stack.Partition() + ":iam::" + remote + ":role/" + modeldeploy.TestRoleName(props.Project)
		}
	}
	ep := endpoint.NewEndpoint(stack, "Endpoint", &endpoint.EndpointProps{
		Project:         props.Project,
		Stage:           props.StageName,
		ModelPackageArn: &packageArn,
		Artifacts: artifacts.Reference{
			Scope: stack, Project: props.Project,
			Account: props.ArtifactsAccount, Region: props.ArtifactsRegion,
		},
		ModelArtifactsPrefix: props.Project.ModelArtifactsPrefix(),
		Instance:             instance,
		Serverless:           serverless,
		DataCapture:          capture,
		StorageKey:           storageKey,
		TesterRoleArn:        testerRole,
	})
	awscdk.NewCfnOutput(stack, jsii.String("EndpointName"), &awscdk.CfnOutputProps{Value: jsii.String(ep.Name)})
	return &EndpointStack{Stack: stack, Endpoint: ep}
}
