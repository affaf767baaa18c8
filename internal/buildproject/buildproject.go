// Package buildproject creates the CodeBuild projects of the project's pipelines with
// the settings they all share: one current CodeBuild image (Image), artifacts and logs
// encrypted with the project's key, a log group whose retention is bounded, and the
// cdk-nag reasons for what CodeBuild itself requires.
package buildproject

import (
	"strings"
	"unicode"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscodebuild"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/aws-cdk-go/awscdk/v2/awskms"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslogs"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"

	"github.com/sagemaker-mlops-cdk/mlops/constructs/network"
	"github.com/sagemaker-mlops-cdk/mlops/internal/tokens"
)

// Image is the CodeBuild image every project builds in: Amazon Linux 2023 standard:6.0,
// the newest whose runtimes include the Go the ModelDeploy seed needs, so no build
// downloads a toolchain. Runtimes lists what it ships, as the buildspecs may ask for
// them in runtime-versions (CodeBuild's "available runtimes", and the image's
// runtimes.yml in aws/aws-codebuild-docker-images).
const Image = "aws/codebuild/amazonlinux-x86_64-standard:6.0"

// Runtimes are the runtime versions Image ships, by runtime-versions name.
var Runtimes = map[string][]string{
	"golang": {"1.24", "1.25", "1.26"},
	"nodejs": {"22", "24"},
	"python": {"3.10", "3.11", "3.12", "3.13", "3.14"},
}

// Props configures a build project.
type Props struct {
	// Name is the CodeBuild project name. Required.
	Name string
	// Description of the project.
	Description string
	// Role the builds run with. Default: a new role.
	Role awsiam.IRole
	// Key encrypts build artifacts and the log group; the policy of a key created in
	// the app is extended to let CloudWatch Logs use it for this project's log group
	// only (an imported key's policy must allow that itself). Required.
	Key awskms.IKey
	// Timeout of one build. Required.
	Timeout awscdk.Duration
	// LogRetention bounds how long build logs are kept. Required.
	LogRetention awslogs.RetentionDays
	// BuildSpec of the project. Required.
	BuildSpec awscodebuild.BuildSpec
	// Environment variables of every build; values may be tokens.
	Environment map[string]*string
	// Network is the VPC the builds run in, with SecurityGroupIDs (ids or tokens).
	// Default: none, AWS-managed networking.
	Network network.Placement
	// SecurityGroupIDs are the builds' security groups in Network. Required with it.
	SecurityGroupIDs []*string
}

// New creates a project for a CodePipeline action, and its log group
// `/aws/codebuild/<name>`.
func New(scope constructs.Construct, id string, props *Props) awscodebuild.PipelineProject {
	project := awscodebuild.NewPipelineProject(scope, &id, props.projectProps(scope, id))
	props.place(scope, id, project)
	return project
}

// place puts the project in the props' VPC, with the role's network policy created
// first, as CodeBuild checks it.
func (props *Props) place(scope constructs.Construct, id string, project awscodebuild.IProject) {
	if !props.Network.IsSet() {
		return
	}
	if len(props.SecurityGroupIDs) == 0 {
		panic("buildproject.Props.SecurityGroupIDs is required with Network")
	}
	policy := network.NewServicePolicy(scope, id+"NetworkPolicy", network.CodeBuild, props.Network, project.Role())
	cfn := project.Node().DefaultChild().(awscodebuild.CfnProject)
	cfn.SetVpcConfig(&awscodebuild.CfnProject_VpcConfigProperty{
		VpcId: jsii.String(props.Network.VpcID), Subnets: jsii.Strings(props.Network.SubnetIDs...), SecurityGroupIds: &props.SecurityGroupIDs,
	})
	cfn.Node().AddDependency(policy)
}

// NewWithSource creates a project that builds source (and secondarySources) on its
// own, and its log group.
func NewWithSource(scope constructs.Construct, id string, props *Props, source awscodebuild.ISource, secondarySources ...awscodebuild.ISource) awscodebuild.Project {
	p := props.projectProps(scope, id)
	project := awscodebuild.NewProject(scope, &id, &awscodebuild.ProjectProps{
		ProjectName: p.ProjectName, Description: p.Description, Role: p.Role, BuildSpec: p.BuildSpec,
		EncryptionKey: p.EncryptionKey, Timeout: p.Timeout, EnvironmentVariables: p.EnvironmentVariables,
		Environment: p.Environment, Logging: p.Logging,
		Source: source, SecondarySources: &secondarySources,
	})
	props.place(scope, id, project)
	return project
}

// projectProps are the settings every project shares; it creates the log group and
// lets CloudWatch Logs use the key for it.
func (props *Props) projectProps(scope constructs.Construct, id string) *awscodebuild.PipelineProjectProps {
	logGroupName := "/aws/codebuild/" + props.Name
	stack := awscdk.Stack_Of(scope)
	logGroupArn := stack.FormatArn(&awscdk.ArnComponents{
		Service:      jsii.String("logs"),
		Resource:     jsii.String("log-group"),
		ResourceName: jsii.String(logGroupName),
		ArnFormat:    awscdk.ArnFormat_COLON_RESOURCE_NAME,
	})
	props.Key.AddToResourcePolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
		Sid:        jsii.String("CloudWatchLogs" + alphanumeric(tokens.Strip(props.Name))),
		Principals: &[]awsiam.IPrincipal{awsiam.NewServicePrincipal(jsii.String("logs."+*stack.Region()+".amazonaws.com"), nil)},
		Actions:    jsii.Strings("kms:Encrypt", "kms:Decrypt", "kms:ReEncryptFrom", "kms:ReEncryptTo", "kms:GenerateDataKey", "kms:GenerateDataKeyWithoutPlaintext", "kms:DescribeKey"),
		Resources:  jsii.Strings("*"),
		Conditions: &map[string]interface{}{
			"ArnEquals": map[string]interface{}{"kms:EncryptionContext:aws:logs:arn": logGroupArn},
		},
	}), nil)
	logGroup := awslogs.NewLogGroup(scope, jsii.String(id+"Logs"), &awslogs.LogGroupProps{
		LogGroupName:  jsii.String(logGroupName),
		Retention:     props.LogRetention,
		EncryptionKey: props.Key,
		RemovalPolicy: awscdk.RemovalPolicy_DESTROY,
	})
	env := make(map[string]*awscodebuild.BuildEnvironmentVariable, len(props.Environment))
	for name, value := range props.Environment {
		env[name] = &awscodebuild.BuildEnvironmentVariable{Value: value}
	}
	return &awscodebuild.PipelineProjectProps{
		ProjectName:          jsii.String(props.Name),
		Role:                 props.Role,
		Description:          jsii.String(props.Description),
		BuildSpec:            props.BuildSpec,
		EncryptionKey:        props.Key,
		Timeout:              props.Timeout,
		EnvironmentVariables: &env,
		Environment: &awscodebuild.BuildEnvironment{
			BuildImage:  awscodebuild.LinuxBuildImage_FromCodeBuildImageId(jsii.String(Image)),
			ComputeType: awscodebuild.ComputeType_SMALL,
		},
		Logging: &awscodebuild.LoggingOptions{
			CloudWatch: &awscodebuild.CloudWatchLoggingOptions{LogGroup: logGroup},
		},
	}
}

// alphanumeric keeps the letters and digits of s, as a policy statement id must.
func alphanumeric(s string) string {
	return strings.Map(func(r rune) rune {
		if unicode.IsLetter(r) && r < unicode.MaxASCII || unicode.IsDigit(r) {
			return r
		}
		return -1
	}, s)
}
