// Package notifications provides a project's notification topic and what publishes
// to it: a model version awaiting approval in the registry, a deployment waiting for
// the production approval, a failed execution of the project's CodePipeline pipelines
// (for the deploy pipeline, with the model version) or of its SageMaker pipeline, and
// an endpoint's rollback alarm. The topic is
// encrypted with the project's key, accepts TLS only, and is subscribed to by email
// addresses.
package notifications

import (
	_ "embed"
	"strings"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscodepipeline"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsevents"
	"github.com/aws/aws-cdk-go/awscdk/v2/awseventstargets"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/aws-cdk-go/awscdk/v2/awskms"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslambda"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslogs"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssns"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssnssubscriptions"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"

	"github.com/sagemaker-mlops-cdk/mlops/constructs/network"
	"github.com/sagemaker-mlops-cdk/mlops/constructs/project"
	"github.com/sagemaker-mlops-cdk/mlops/constructs/registry"
	"github.com/sagemaker-mlops-cdk/mlops/deploybuild"
	"github.com/sagemaker-mlops-cdk/mlops/internal/cfnfix"
	"github.com/sagemaker-mlops-cdk/mlops/internal/email"
	"github.com/sagemaker-mlops-cdk/mlops/internal/nag"
)

// NotificationsProps configures Notifications.
type NotificationsProps struct {
	// Project names the topic and the messages. Required.
	Project project.Identity
	// Key encrypts the topic: its key policy lets EventBridge, CodeStar Notifications
	// and CloudWatch alarms of the account use it to publish. Required.
	Key awskms.IKey
	// Emails subscribe to the topic (each confirms by mail): plain addresses, each
	// once.
	// Default: none; subscribe later.
	Emails []string
	// Network is the VPC the notifying function (OnDeploymentFailure) runs in, with a
	// security group created for it (no inbound rule, outbound HTTPS only); it calls
	// CodePipeline and SNS through the VPC's endpoints. Default: none, AWS-managed
	// networking.
	Network network.Placement
}

// Notifications is a project's notification topic.
type Notifications struct {
	constructs.Construct
	// Topic is the encrypted, TLS-only topic.
	Topic   awssns.Topic
	project project.Identity
	network network.Placement
}

// NewNotifications creates the topic and its subscriptions. It panics, naming the
// prop, when the props are invalid.
func NewNotifications(scope constructs.Construct, id string, props *NotificationsProps) *Notifications {
	validate(props)
	c := constructs.NewConstruct(scope, &id)
	topic := awssns.NewTopic(c, jsii.String("Topic"), &awssns.TopicProps{
		TopicName:   jsii.String(props.Project.NotificationTopicName()),
		DisplayName: jsii.String("SageMaker project " + props.Project.NameID()),
		MasterKey:   props.Key,
		EnforceSSL:  jsii.Bool(true),
	})
	for _, address := range props.Emails {
		topic.AddSubscription(awssnssubscriptions.NewEmailSubscription(jsii.String(address), nil))
	}
	n := &Notifications{Construct: c, Topic: topic, project: props.Project, network: props.Network}
	n.letServicesPublish(props.Key)
	return n
}

// publishers are the services that publish to the topic, by what they publish.
var publishers = []string{"events.amazonaws.com", "codestar-notifications.amazonaws.com", "cloudwatch.amazonaws.com"}

// letServicesPublish lets the publishing services use the key, for this account
// only, and CloudWatch publish the project's endpoint alarms (EventBridge and
// CodeStar Notifications get their topic policy statements from their rules).
func (n *Notifications) letServicesPublish(key awskms.IKey) {
	stack := awscdk.Stack_Of(n.Construct)
	key.AddToResourcePolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
		Sid:        jsii.String("PublishProjectNotifications"),
		Principals: servicePrincipals(),
		Actions:    jsii.Strings("kms:GenerateDataKey*", "kms:Decrypt"),
		Resources:  jsii.Strings("*"),
		Conditions: &map[string]interface{}{"StringEquals": map[string]interface{}{"aws:SourceAccount": stack.Account()}},
	}), jsii.Bool(false))
	alarms := stack.FormatArn(&awscdk.ArnComponents{
		Service: jsii.String("cloudwatch"), Resource: jsii.String("alarm"), ArnFormat: awscdk.ArnFormat_COLON_RESOURCE_NAME,
		ResourceName: jsii.String(n.project.NameID() + "-*"),
	})
	n.Topic.AddToResourcePolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
		Sid:        jsii.String("PublishEndpointAlarms"),
		Principals: &[]awsiam.IPrincipal{awsiam.NewServicePrincipal(jsii.String("cloudwatch.amazonaws.com"), nil)},
		Actions:    jsii.Strings("sns:Publish"),
		Resources:  &[]*string{n.Topic.TopicArn()},
		Conditions: &map[string]interface{}{"ArnLike": map[string]interface{}{"aws:SourceArn": alarms}},
	}))
}

func servicePrincipals() *[]awsiam.IPrincipal {
	out := make([]awsiam.IPrincipal, len(publishers))
	for i, p := range publishers {
		out[i] = awsiam.NewServicePrincipal(jsii.String(p), nil)
	}
	return &out
}

// OnVersionAwaitingApproval notifies when a version of the registry's group is
// registered for (or returned to) manual approval.
func (n *Notifications) OnVersionAwaitingApproval(models registry.IModelRegistry) awsevents.Rule {
	return models.OnStatus("VersionAwaitsApproval", &awsevents.OnEventOptions{
		Description: jsii.String("Notifies project " + n.project.NameID() + " of a model version awaiting approval"),
		Target: awseventstargets.NewSnsTopic(n.Topic, &awseventstargets.SnsTopicProps{Message: awsevents.RuleTargetInput_FromText(jsii.String(
			"SageMaker project " + n.project.NameID() + ": model version " + *awsevents.EventField_FromPath(jsii.String("$.detail.ModelPackageArn")) +
				" awaits approval in the model registry (group " + *awsevents.EventField_FromPath(jsii.String("$.detail.ModelPackageGroupName")) + ").",
		))}),
	}, registry.PendingStatus)
}

// OnPipelineFailure notifies when an execution of pipeline fails (CodeStar's message,
// with the console link); what names the pipeline in the notification rule's id and
// name, e.g. "ModelBuild".
func (n *Notifications) OnPipelineFailure(what string, pipeline awscodepipeline.IPipeline) {
	pipeline.NotifyOn(jsii.String(what+"Failed"), n.Topic, &awscodepipeline.PipelineNotifyOnOptions{
		NotificationRuleName: jsii.String(n.project.ResourceName(strings.ToLower(what) + "-failed")),
		Events:               &[]awscodepipeline.PipelineNotificationEvents{awscodepipeline.PipelineNotificationEvents_PIPELINE_EXECUTION_FAILED},
	})
}

// OnDeploymentFailure notifies when an execution of the deploy pipeline fails, naming
// the stage and action that failed and the model version the execution deployed (the
// Build action's deploybuild.VarModelPackageArn, which CodeStar's message cannot
// name): an EventBridge rule on the pipeline's failed executions invokes a function
// that reads the execution's actions and publishes. logRetention bounds its logs.
func (n *Notifications) OnDeploymentFailure(pipeline awscodepipeline.IPipeline, logRetention awslogs.RetentionDays) awslambda.Function {
	role := awsiam.NewRole(n.Construct, jsii.String("DeploymentFailedRole"), &awsiam.RoleProps{
		AssumedBy:   awsiam.NewServicePrincipal(jsii.String("lambda.amazonaws.com"), nil),
		Description: jsii.String("Tells the topic of project " + n.project.NameID() + " which deployment failed"),
	})
	role.AddToPolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
		Sid: jsii.String("ReadTheFailedExecution"), Actions: jsii.Strings("codepipeline:ListActionExecutions"), Resources: &[]*string{pipeline.PipelineArn()},
	}))
	n.Topic.GrantPublish(role)
	nag.Suppress(role, nag.Rule{
		ID:        "AwsSolutions-IAM5",
		Reason:    "Publishing to the topic encrypted with the project key needs kms:GenerateDataKey* on that key alone (CDK's topic grant).",
		AppliesTo: []string{"Action::kms:GenerateDataKey*"},
	})
	logs := awslogs.NewLogGroup(n.Construct, jsii.String("DeploymentFailedLogs"), &awslogs.LogGroupProps{Retention: logRetention, RemovalPolicy: awscdk.RemovalPolicy_DESTROY})
	logs.GrantWrite(role)
	fn := awslambda.NewFunction(n.Construct, jsii.String("DeploymentFailed"), &awslambda.FunctionProps{
		Runtime:     awslambda.Runtime_PYTHON_3_14(),
		Handler:     jsii.String("index.handler"),
		Code:        awslambda.Code_FromInline(jsii.String(deploymentFailedHandler)),
		Role:        role,
		LogGroup:    logs,
		Timeout:     awscdk.Duration_Seconds(jsii.Number(30)),
		Description: jsii.String("Notifies project " + n.project.NameID() + " of a failed deployment, naming its stage and model version"),
		Environment: &map[string]*string{
			"PROJECT": jsii.String(n.project.NameID()), "TOPIC_ARN": n.Topic.TopicArn(), "VERSION_VARIABLE": jsii.String(deploybuild.VarModelPackageArn),
		},
	})
	cfnfix.RoleDependency(fn, role)
	n.place(fn, role)
	pipeline.OnStateChange(jsii.String("DeploymentFailed"), &awsevents.OnEventOptions{
		Description:  jsii.String("Notifies project " + n.project.NameID() + " of a failed deployment"),
		EventPattern: &awsevents.EventPattern{Detail: &map[string]interface{}{"state": []string{"FAILED"}}},
		Target:       awseventstargets.NewLambdaFunction(fn, nil),
	})
	return fn
}

// place puts fn in the notifications' VPC, once role may create network interfaces
// there.
func (n *Notifications) place(fn awslambda.Function, role awsiam.IRole) {
	if !n.network.IsSet() {
		return
	}
	groups := network.SecurityGroupIDs(n.Construct, "DeploymentFailedSecurityGroup", n.network, "Notifying function of project "+n.project.NameID())
	policy := network.NewServicePolicy(n.Construct, "DeploymentFailedNetworkPolicy", network.Lambda, n.network, role)
	cfn := fn.Node().DefaultChild().(awslambda.CfnFunction)
	cfn.SetVpcConfig(&awslambda.CfnFunction_VpcConfigProperty{SubnetIds: jsii.Strings(n.network.SubnetIDs...), SecurityGroupIds: &groups})
	cfn.Node().AddDependency(policy)
}

// deploymentFailedHandler is the function of OnDeploymentFailure (tested in
// test/notifications).
//
//go:embed handler/deployment_failed.py
var deploymentFailedHandler string

// OnManualApproval notifies when pipeline waits for a manual approval, such as the
// production approval; the message carries the console link and the approval's text.
func (n *Notifications) OnManualApproval(pipeline awscodepipeline.IPipeline) {
	pipeline.NotifyOn(jsii.String("ApprovalNeeded"), n.Topic, &awscodepipeline.PipelineNotifyOnOptions{
		NotificationRuleName: jsii.String(n.project.ResourceName("approval-needed")),
		Events:               &[]awscodepipeline.PipelineNotificationEvents{awscodepipeline.PipelineNotificationEvents_MANUAL_APPROVAL_NEEDED},
	})
}

// OnSageMakerPipelineFailure notifies when an execution of the project's SageMaker
// pipeline, project.Identity.PipelineName, fails. The pipeline is recognized by the
// end of its ARN, `-<id>`: SageMaker lowercases the name in the ARN, which a template
// cannot do to a name given as a parameter, and the project id is lowercase and
// unique in the account.
func (n *Notifications) OnSageMakerPipelineFailure() awsevents.Rule {
	pipelineName := n.project.PipelineName()
	return awsevents.NewRule(n.Construct, jsii.String("SageMakerPipelineFailed"), &awsevents.RuleProps{
		Description: jsii.String("Notifies project " + n.project.NameID() + " of a failed execution of its SageMaker pipeline"),
		EventPattern: &awsevents.EventPattern{
			Source:     jsii.Strings("aws.sagemaker"),
			DetailType: jsii.Strings("SageMaker Model Building Pipeline Execution Status Change"),
			Detail: &map[string]interface{}{
				"pipelineArn":                    []interface{}{map[string]interface{}{"suffix": "-" + n.project.ID}},
				"currentPipelineExecutionStatus": []string{"Failed"},
			},
		},
		Targets: &[]awsevents.IRuleTarget{awseventstargets.NewSnsTopic(n.Topic, &awseventstargets.SnsTopicProps{Message: awsevents.RuleTargetInput_FromText(jsii.String(
			"SageMaker project " + n.project.NameID() + ": execution " + *awsevents.EventField_FromPath(jsii.String("$.detail.pipelineExecutionArn")) +
				" of SageMaker pipeline " + pipelineName + " failed.",
		))})},
	})
}

func validate(props *NotificationsProps) {
	var problems []string
	if err := props.Project.Validate(); err != nil {
		problems = append(problems, "NotificationsProps.Project: "+err.Error())
	}
	if props.Key == nil {
		problems = append(problems, "NotificationsProps.Key is required: the topic is encrypted with the project's key")
	}
	if err := email.Check(props.Emails); err != nil {
		problems = append(problems, "NotificationsProps.Emails: "+err.Error())
	}
	if len(problems) > 0 {
		panic("invalid notifications:\n  " + strings.Join(problems, "\n  "))
	}
}
