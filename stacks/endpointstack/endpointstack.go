// Package endpointstack provides the stack of one stage's endpoint: the stack the
// deploy pipeline deploys, synthesized by the ModelDeploy repository's app (and by
// this module's app, for an engineer to deploy by hand). It depends on the endpoint
// construct, the stage settings and the project's names only, so that the ModelDeploy
// repository carries no more of this library than it uses.
package endpointstack

import (
	"fmt"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/aws-cdk-go/awscdk/v2/awskms"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssns"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"

	"github.com/sagemaker-mlops-cdk/mlops/config"
	"github.com/sagemaker-mlops-cdk/mlops/constructs/artifacts"
	"github.com/sagemaker-mlops-cdk/mlops/constructs/endpoint"
	"github.com/sagemaker-mlops-cdk/mlops/constructs/monitoring"
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
	// Stage is the stage, project.Staging or project.Prod. Required.
	Stage project.Stage
	// Settings are the stage's endpoint settings. Required.
	Settings config.Stage
	// ModelPackageArn is the model version to serve. Default: the stack takes it as the
	// CloudFormation parameter ModelPackageArn.
	ModelPackageArn string
	// ArtifactsAccount and ArtifactsRegion are where the project's artifact bucket and
	// key live. Default: the endpoint stack's own account and region. When they are
	// another account, the endpoint's storage is encrypted with a key of the stack's
	// own, and the project's test gate in that account (its role
	// project.Identity.TestRoleName) may invoke the staging endpoint.
	ArtifactsAccount, ArtifactsRegion string
	// PermissionsBoundaryArn bounds every role of the stack: the project's deployment
	// role may create only roles that carry it (see the deploy pipeline's
	// ModelDeployProps.PermissionsBoundary). Default: no boundary.
	PermissionsBoundaryArn string
	// Baseline is the data-quality baseline of the version served (the ModelBuild
	// pipeline's quality check, as the version records it). With it, and the stage's
	// monitoring on (Settings.Monitoring), the stack monitors the endpoint's captured
	// data against it. Default: none, the endpoint is not monitored.
	Baseline *monitoring.Baseline
}

// EndpointStack deploys one stage's endpoint, `sagemaker-<name>-<id>-deploy-<stage>`.
// It refers to the project's artifact bucket and key by name, holds no asset and needs
// no bootstrap version check, so the deploy pipeline can deploy its template with a
// plain CloudFormation action. The same inputs always give the same template.
type EndpointStack struct {
	awscdk.Stack
	// Endpoint is the stage's endpoint.
	Endpoint *endpoint.Endpoint
	// Monitoring is its data-quality monitoring, nil when it has none.
	Monitoring *monitoring.DataQualityMonitor
}

// NewEndpointStack creates the endpoint stack. It panics when the props are invalid.
func NewEndpointStack(scope constructs.Construct, id string, props *EndpointStackProps) *EndpointStack {
	stack := awscdk.NewStack(scope, &id, stackProps(props))
	props.Project.ApplyTags(stack, project.Tag{Key: TagDeploymentStage, Value: string(props.Stage)})
	if props.PermissionsBoundaryArn != "" {
		awsiam.PermissionsBoundary_Of(stack).Apply(awsiam.ManagedPolicy_FromManagedPolicyArn(stack, jsii.String("PermissionsBoundary"), &props.PermissionsBoundaryArn))
	}
	instance, serverless, capture := props.Settings.EndpointHosting()
	storageKey, testerRole := crossAccount(stack, props, instance != nil)
	topic := notificationTopic(stack, props)
	ep := endpoint.NewEndpoint(stack, "Endpoint", &endpoint.EndpointProps{
		Project:         props.Project,
		Stage:           props.Stage,
		ModelPackageArn: modelPackageArn(stack, props),
		Artifacts: artifacts.Reference{
			Scope: stack, Project: props.Project,
			Account: props.ArtifactsAccount, Region: props.ArtifactsRegion,
		},
		ModelArtifactsPrefix: props.Project.ModelArtifactsPrefix(),
		Instance:             instance,
		Serverless:           serverless,
		DataCapture:          capture,
		Deployment:           props.Settings.EndpointDeployment(),
		AlarmTopic:           topic,
		StorageKey:           storageKey,
		TesterRoleArn:        testerRole,
		Network:              props.Settings.Network,
	})
	awscdk.NewCfnOutput(stack, jsii.String("EndpointName"), &awscdk.CfnOutputProps{Value: jsii.String(ep.Name)})
	return &EndpointStack{Stack: stack, Endpoint: ep, Monitoring: monitor(stack, props, ep, capture, topic, storageKey)}
}

// monitor creates the endpoint's data-quality monitoring when the stage has it on and
// the version has a baseline; its reports and alarms are the project's, its volume is
// encrypted with volumeKey (nil: the project's key).
func monitor(stack awscdk.Stack, props *EndpointStackProps, ep *endpoint.Endpoint, capture *endpoint.DataCapture, topic awssns.ITopic, volumeKey awskms.IKey) *monitoring.DataQualityMonitor {
	m := props.Settings.Monitoring
	if !m.Enabled || props.Baseline == nil {
		return nil
	}
	if capture == nil {
		panic(fmt.Sprintf("stage %s: monitoring is on without data capture: turn %s.dataCapture.enabled on or %s.monitoring.enabled off", props.Stage, props.Stage, props.Stage))
	}
	return monitoring.NewDataQualityMonitor(stack, "Monitoring", &monitoring.DataQualityMonitorProps{
		Project:           props.Project,
		Stage:             props.Stage,
		Endpoint:          ep.Resource,
		EndpointName:      ep.Name,
		Artifacts:         artifacts.Reference{Scope: stack, Project: props.Project, Account: props.ArtifactsAccount, Region: props.ArtifactsRegion},
		CapturePrefix:     props.Settings.DataCapturePrefix,
		Baseline:          *props.Baseline,
		Schedule:          m.Schedule,
		InstanceType:      m.InstanceType,
		MaxRuntimeSeconds: m.MaxRuntimeSeconds,
		AlarmTopic:        topic,
		VolumeKey:         volumeKey,
		Network:           props.Settings.Network,
		SecurityGroupIDs:  ep.SecurityGroupIDs,
	})
}

// TagDeploymentStage tags every resource of the stack with its stage, as SageMaker's
// own template does.
const TagDeploymentStage = "sagemaker:deployment-stage"

// stackProps are the props' stack settings with the stack's defaults: its name and
// description, and a synthesizer without the bootstrap version check.
func stackProps(props *EndpointStackProps) *awscdk.StackProps {
	sp := props.StackProps
	if sp.StackName == nil {
		sp.StackName = jsii.String(props.Project.DeployStackName(props.Stage))
	}
	if sp.Description == nil {
		sp.Description = jsii.String("SageMaker endpoint " + props.Project.EndpointName(props.Stage) + " of project " + props.Project.NameID())
	}
	if sp.Synthesizer == nil {
		sp.Synthesizer = awscdk.NewDefaultStackSynthesizer(&awscdk.DefaultStackSynthesizerProps{
			GenerateBootstrapVersionRule: jsii.Bool(false),
		})
	}
	return &sp
}

// modelPackageArn is the version to serve: the props', or the stack's parameter.
func modelPackageArn(stack awscdk.Stack, props *EndpointStackProps) *string {
	if props.ModelPackageArn != "" {
		return jsii.String(props.ModelPackageArn)
	}
	return awscdk.NewCfnParameter(stack, jsii.String(ModelPackageParameter), &awscdk.CfnParameterProps{
		Type:           jsii.String("String"),
		Description:    jsii.String("ARN of the approved model package version the endpoint serves"),
		AllowedPattern: jsii.String(`^arn:aws[a-z-]*:sagemaker:[a-z0-9-]+:[0-9]{12}:model-package/.+/[0-9]+$`),
	}).ValueAsString()
}

// notificationTopic is the project's notification topic, which the endpoint's alarms
// notify, when the endpoint is in the project's account and region; nil elsewhere
// (CloudWatch alarms notify topics of their own account only).
func notificationTopic(stack awscdk.Stack, props *EndpointStackProps) awssns.ITopic {
	if (props.ArtifactsAccount != "" && props.ArtifactsAccount != *stack.Account()) || (props.ArtifactsRegion != "" && props.ArtifactsRegion != *stack.Region()) {
		return nil
	}
	arn := stack.FormatArn(&awscdk.ArnComponents{Service: jsii.String("sns"), Resource: jsii.String(props.Project.NotificationTopicName()), ArnFormat: awscdk.ArnFormat_NO_RESOURCE_NAME})
	return awssns.Topic_FromTopicArn(stack, jsii.String("NotificationTopic"), arn)
}

// crossAccount is what an endpoint in another account than the project's artifacts
// needs: a storage key of its own for instance hosting (which data capture, hence
// monitoring, needs; the monitoring jobs use it too), and for staging the role ARN
// of the project's test gate, which may then invoke the endpoint. Both are empty
// in the project's own account.
func crossAccount(stack awscdk.Stack, props *EndpointStackProps, instances bool) (awskms.IKey, string) {
	remote := props.ArtifactsAccount
	if remote == "" || remote == *stack.Account() {
		return nil, ""
	}
	var storageKey awskms.IKey
	if instances {
		storageKey = awskms.NewKey(stack, jsii.String("StorageKey"), &awskms.KeyProps{
			Description:       jsii.String("Encrypts the storage of endpoint " + props.Project.EndpointName(props.Stage)),
			EnableKeyRotation: jsii.Bool(true),
			RemovalPolicy:     awscdk.RemovalPolicy_DESTROY,
			PendingWindow:     awscdk.Duration_Days(jsii.Number(7)),
		})
	}
	if props.Stage != project.Staging {
		return storageKey, ""
	}
	return storageKey, "arn:" + *stack.Partition() + ":iam::" + remote + ":role/" + props.Project.TestRoleName()
}
