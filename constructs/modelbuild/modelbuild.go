// Package modelbuild provides the ModelBuild half of the project: the SageMaker
// pipeline execution role, the CodeBuild project that upserts and runs the SageMaker
// pipeline defined in the ModelBuild repository, and the CodePipeline that runs that
// build on every push to the repository's branch.
package modelbuild

import (
	"fmt"
	"strings"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscodebuild"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscodepipeline"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscodepipelineactions"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslogs"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"

	"github.com/sagemaker-mlops-cdk/mlops/constructs/artifacts"
	"github.com/sagemaker-mlops-cdk/mlops/constructs/network"
	"github.com/sagemaker-mlops-cdk/mlops/constructs/project"
	"github.com/sagemaker-mlops-cdk/mlops/constructs/registry"
	"github.com/sagemaker-mlops-cdk/mlops/constructs/source"
	"github.com/sagemaker-mlops-cdk/mlops/internal/buildproject"
	"github.com/sagemaker-mlops-cdk/mlops/internal/cfnfix"
	"github.com/sagemaker-mlops-cdk/mlops/internal/nag"
)

// BuildSpecFile is the buildspec the CodeBuild project reads from the repository.
const BuildSpecFile = "codebuild-buildspec.yml"

// ModelBuildProps configures a ModelBuild.
type ModelBuildProps struct {
	// Project names the build project and pipeline `sagemaker-<name>-<id>-modelbuild`
	// and the SageMaker pipeline `<name>-<id>`. Required.
	Project project.Identity
	// Repository holds the ModelBuild code; a push to its branch starts the pipeline.
	// Required.
	Repository source.Repository
	// Artifacts stores pipeline artifacts and SageMaker outputs. Required.
	Artifacts artifacts.IArtifactBucket
	// Registry receives the model versions the SageMaker pipeline registers. Required.
	Registry registry.IModelRegistry
	// ProcessingInstanceType and TrainingInstanceType reach the build as
	// PROCESSING_INSTANCE_TYPE and TRAINING_INSTANCE_TYPE, which ModelBuild
	// repositories seeded before v0.2.0 pass to their pipeline as its parameters'
	// defaults. (The seed of v0.2.0 on has the project's types written into its
	// pipeline.py when it is seeded, see seedcode.ModelBuildCode, and reads neither.)
	// Default: DefaultInstanceType.
	ProcessingInstanceType string
	TrainingInstanceType   string
	// LogRetention bounds how long build logs are kept. Default: three months.
	LogRetention awslogs.RetentionDays
	// BuildTimeout bounds one build, which waits for the SageMaker pipeline execution.
	// Default: 480 minutes.
	BuildTimeout awscdk.Duration
	// Network is the VPC the build and the SageMaker pipeline's jobs run in, with its
	// security groups (one with no inbound rule and outbound HTTPS only is created when
	// it names none): the build passes them to the pipeline as SAGEMAKER_SUBNET_IDS and
	// SAGEMAKER_SECURITY_GROUP_IDS, and the pipeline role may create network
	// interfaces there only. The build downloads Python packages: the subnets need a
	// route to PyPI (or the mirror the buildspec names). Default: none, AWS-managed
	// networking.
	Network network.Placement
	// PipIndexURL is the Python package index the build installs from (PIP_INDEX_URL),
	// for subnets without a route to PyPI. Default: PyPI.
	PipIndexURL string
}

// ModelBuild is the SageMaker pipeline role, the build project and the CodePipeline of
// the ModelBuild repository.
type ModelBuild struct {
	constructs.Construct
	// PipelineRole is the SageMaker pipeline execution role, also the role of every
	// job the pipeline starts. It may use only this project's bucket, key, model
	// package group, and pipeline and job names.
	PipelineRole awsiam.Role
	// BuildProject runs the repository's buildspec.
	BuildProject awscodebuild.PipelineProject
	// Pipeline is the CodePipeline Source -> Build.
	Pipeline awscodepipeline.Pipeline
}

// NewModelBuild creates the ModelBuild resources. It panics when a required prop is
// missing or Project is invalid.
func NewModelBuild(scope constructs.Construct, id string, props *ModelBuildProps) *ModelBuild {
	p := withDefaults(props)
	c := constructs.NewConstruct(scope, &id)
	pipelineRole := newPipelineRole(c, p)
	groups := jobNetwork(c, p, pipelineRole)
	build := newBuildProject(c, p, pipelineRole, groups)
	grantRunPipeline(build, pipelineRole, p)
	pipeline := newPipeline(c, p, build)
	return &ModelBuild{Construct: c, PipelineRole: pipelineRole, BuildProject: build, Pipeline: pipeline}
}

// withDefaults checks the props and fills in the defaults.
func withDefaults(props *ModelBuildProps) *ModelBuildProps {
	props.Project.MustValidate()
	if props.Repository == nil || props.Artifacts == nil || props.Registry == nil {
		panic("ModelBuildProps.Repository, Artifacts and Registry are required")
	}
	p := *props
	p.ProcessingInstanceType = orDefault(p.ProcessingInstanceType, DefaultInstanceType)
	p.TrainingInstanceType = orDefault(p.TrainingInstanceType, DefaultInstanceType)
	if p.LogRetention == "" {
		p.LogRetention = awslogs.RetentionDays_THREE_MONTHS
	}
	if p.BuildTimeout == nil {
		p.BuildTimeout = awscdk.Duration_Minutes(jsii.Number(480))
	}
	if err := p.Network.Check(); err != nil {
		panic("ModelBuildProps.Network: " + err.Error())
	}
	if p.PipIndexURL != "" {
		if err := network.CheckPackageIndex(p.PipIndexURL); err != nil {
			panic(fmt.Sprintf("ModelBuildProps.PipIndexURL %q %v", p.PipIndexURL, err))
		}
	}
	return &p
}

// jobNetwork places the pipeline's jobs in the props' VPC: their security groups
// (given, or one created, which the build uses too) and the role's network-interface
// permissions; nil outside a VPC.
func jobNetwork(c constructs.Construct, props *ModelBuildProps, role awsiam.Role) []*string {
	if !props.Network.IsSet() {
		return nil
	}
	groups := network.SecurityGroupIDs(c, "JobSecurityGroup", props.Network, "SageMaker pipeline jobs and ModelBuild builds of project "+props.Project.NameID())
	network.GrantNetworkInterfaces(role, props.Network, groups)
	network.SuppressNetworkInterfaceFindings(role)
	return groups
}

// DefaultInstanceType is the default of the SageMaker pipeline's processing and
// training instance types, the original template's.
const DefaultInstanceType = "ml.m5.xlarge"

// newBuildProject creates the build that upserts and runs the SageMaker pipeline; the
// repository's buildspec reads its environment, and places the jobs in the subnets of
// props.Network with groups.
func newBuildProject(c constructs.Construct, props *ModelBuildProps, pipelineRole awsiam.Role, groups []*string) awscodebuild.PipelineProject {
	p := props.Project
	env := map[string]*string{
		"SAGEMAKER_PROJECT_NAME":      jsii.String(p.Name),
		"SAGEMAKER_PROJECT_ID":        jsii.String(p.ID),
		"SAGEMAKER_PROJECT_NAME_ID":   jsii.String(p.NameID()),
		"SAGEMAKER_PIPELINE_NAME":     jsii.String(p.PipelineName()),
		"SAGEMAKER_PIPELINE_ROLE_ARN": pipelineRole.RoleArn(),
		"MODEL_PACKAGE_GROUP_NAME":    props.Registry.GroupName(),
		"ARTIFACT_BUCKET":             props.Artifacts.BucketName(),
		"ARTIFACT_BUCKET_KMS_KEY_ARN": props.Artifacts.KeyArn(),
		"AWS_REGION":                  awscdk.Aws_REGION(),
		"PROCESSING_INSTANCE_TYPE":    jsii.String(props.ProcessingInstanceType),
		"TRAINING_INSTANCE_TYPE":      jsii.String(props.TrainingInstanceType),
	}
	if props.PipIndexURL != "" {
		env[network.EnvPipIndexURL] = jsii.String(props.PipIndexURL)
	}
	if props.Network.IsSet() {
		env[EnvSubnetIDs] = jsii.String(strings.Join(props.Network.SubnetIDs, ","))
		env[EnvSecurityGroupIDs] = awscdk.Fn_Join(jsii.String(","), &groups)
	}
	return buildproject.New(c, "Build", &buildproject.Props{
		Name:         p.ResourceName("modelbuild"),
		Description:  "Upserts and runs the SageMaker pipeline of project " + p.NameID(),
		Key:          props.Artifacts.Key(),
		Timeout:      props.BuildTimeout,
		LogRetention: props.LogRetention,
		BuildSpec:    awscodebuild.BuildSpec_FromSourceFilename(jsii.String(BuildSpecFile)),
		Environment:  env,
		Network:      props.Network, SecurityGroupIDs: groups,
	})
}

// EnvSubnetIDs and EnvSecurityGroupIDs tell the ModelBuild build the subnets and
// security groups of the SageMaker pipeline's jobs (ids separated by commas), when
// they run in a VPC.
const (
	EnvSubnetIDs        = "SAGEMAKER_SUBNET_IDS"
	EnvSecurityGroupIDs = "SAGEMAKER_SECURITY_GROUP_IDS"
)

// newPipeline creates the CodePipeline Source -> Build, started by a push to the
// repository's branch.
func newPipeline(c constructs.Construct, props *ModelBuildProps, build awscodebuild.PipelineProject) awscodepipeline.Pipeline {
	sourceOutput := awscodepipeline.NewArtifact(jsii.String("ModelBuildSource"), nil)
	sourceAction := props.Repository.SourceAction("Source", sourceOutput)
	pipeline := awscodepipeline.NewPipeline(c, jsii.String("Pipeline"), &awscodepipeline.PipelineProps{
		PipelineName:             jsii.String(props.Project.ResourceName("modelbuild")),
		PipelineType:             awscodepipeline.PipelineType_V2,
		ArtifactBucket:           props.Artifacts.Bucket(),
		RestartExecutionOnUpdate: jsii.Bool(false),
		// The actions run as the pipeline's role: CDK's default role per action
		// is one the pipeline's role may assume, so it bounds nothing.
		UsePipelineRoleForActions: jsii.Bool(true),
		Stages: &[]*awscodepipeline.StageProps{
			{StageName: jsii.String("Source"), Actions: &[]awscodepipeline.IAction{sourceAction}},
			{StageName: jsii.String("Build"), Actions: &[]awscodepipeline.IAction{
				awscodepipelineactions.NewCodeBuildAction(&awscodepipelineactions.CodeBuildActionProps{
					ActionName: jsii.String("BuildAndRunSageMakerPipeline"),
					Project:    build,
					Input:      sourceOutput,
				}),
			}},
		},
	})
	props.Repository.ConnectPipeline(pipeline, sourceAction)
	cfnfix.PipelineRoleDependency(pipeline)
	nag.Suppress(pipeline, nag.PipelineArtifactsRule(props.Artifacts.Bucket()))
	if role := sourceAction.ActionProperties().Role; role != nil {
		nag.Suppress(role, nag.PipelineArtifactsRule(props.Artifacts.Bucket()))
	}
	return pipeline
}

// grantRunPipeline lets the build upsert, tag, start and watch the SageMaker pipeline,
// pass only the pipeline role, and upload code to the artifact bucket.
func grantRunPipeline(build awscodebuild.PipelineProject, pipelineRole awsiam.Role, props *ModelBuildProps) {
	build.AddToRolePolicy(statement("UpsertAndRunSageMakerPipeline", []string{
		"sagemaker:CreatePipeline", "sagemaker:UpdatePipeline", "sagemaker:DescribePipeline",
		"sagemaker:StartPipelineExecution", "sagemaker:DescribePipelineExecution",
		"sagemaker:ListPipelineExecutionSteps", "sagemaker:AddTags", "sagemaker:ListTags",
	}, []*string{
		props.Project.SageMakerArn(build, "pipeline", ""),
		props.Project.SageMakerArn(build, "pipeline", "/execution/*"),
	}, nil))
	build.AddToRolePolicy(statement("PassPipelineRole", []string{"iam:PassRole"}, []*string{pipelineRole.RoleArn()},
		map[string]any{"StringEquals": map[string]any{"iam:PassedToService": "sagemaker.amazonaws.com"}}))
	props.Artifacts.GrantReadWrite(build, "")
	nag.Suppress(build,
		nag.Rule{
			ID:        "AwsSolutions-IAM5",
			Reason:    "The build reads its source and writes pipeline code under generated keys of the project's own artifact bucket with CDK's standard CodeBuild grants; pipeline executions, CodeBuild report groups and log streams have generated names under this project's prefixes.",
			AppliesTo: append([]string{nag.Resource(build, props.Artifacts.ObjectsArn(""))}, nag.PipelineArtifactActions...),
			AppliesToPatterns: []string{
				nag.ArnPattern("sagemaker", "pipeline/"+nag.Text(build, props.Project.ArnName("/execution/*"))),
				nag.ArnPattern("codebuild", "report-group/"+nag.Ref(build)+"-*"),
				nag.ArnPattern("logs", "log-group:/aws/codebuild/"+nag.Ref(build)+":*"),
			},
		})
}

func orDefault(v, def string) string {
	if strings.TrimSpace(v) == "" {
		return def
	}
	return v
}
