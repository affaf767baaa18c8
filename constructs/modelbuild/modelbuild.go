// Package modelbuild provides the ModelBuild half of the project: the SageMaker
// pipeline execution role, the CodeBuild project that upserts and runs the SageMaker
// pipeline defined in the ModelBuild repository, and the CodePipeline that runs that
// build on every push to the repository's branch.
package modelbuild

import (
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
	// ProcessingInstanceType is the default of the SageMaker pipeline's
	// ProcessingInstanceType parameter. Default: "ml.m5.xlarge".
	ProcessingInstanceType string
	// TrainingInstanceType is the default of the SageMaker pipeline's
	// TrainingInstanceType parameter. Default: "ml.m5.xlarge".
	TrainingInstanceType string
	// LogRetention bounds how long build logs are kept. Default: three months.
	LogRetention awslogs.RetentionDays
	// BuildTimeout bounds one build, which waits for the SageMaker pipeline execution.
	// Default: 480 minutes.
	BuildTimeout awscdk.Duration
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
	props.Project.MustValidate()
	if props.Repository == nil || props.Artifacts == nil || props.Registry == nil {
		panic("ModelBuildProps.Repository, Artifacts and Registry are required")
	}
	processing := orDefault(props.ProcessingInstanceType, "ml.m5.xlarge")
	training := orDefault(props.TrainingInstanceType, "ml.m5.xlarge")
	retention := props.LogRetention
	if retention == "" {
		retention = awslogs.RetentionDays_THREE_MONTHS
	}
	timeout := props.BuildTimeout
	if timeout == nil {
		timeout = awscdk.Duration_Minutes(jsii.Number(480))
	}
	p := props.Project
	c := constructs.NewConstruct(scope, &id)

	pipelineRole := newPipelineRole(c, props)
	name := p.ResourceName("modelbuild")
	build := buildproject.New(c, "Build", &buildproject.Props{
		Name:         name,
		Description:  "Upserts and runs the SageMaker pipeline of project " + p.NameID(),
		Key:          props.Artifacts.Key(),
		Timeout:      timeout,
		LogRetention: retention,
		BuildSpec:    awscodebuild.BuildSpec_FromSourceFilename(jsii.String(BuildSpecFile)),
		Environment: map[string]*string{
			"SAGEMAKER_PROJECT_NAME":      jsii.String(p.Name),
			"SAGEMAKER_PROJECT_ID":        jsii.String(p.ID),
			"SAGEMAKER_PROJECT_NAME_ID":   jsii.String(p.NameID()),
			"SAGEMAKER_PIPELINE_NAME":     jsii.String(p.PipelineName()),
			"SAGEMAKER_PIPELINE_ROLE_ARN": pipelineRole.RoleArn(),
			"MODEL_PACKAGE_GROUP_NAME":    props.Registry.GroupName(),
			"ARTIFACT_BUCKET":             props.Artifacts.BucketName(),
			"ARTIFACT_BUCKET_KMS_KEY_ARN": props.Artifacts.KeyArn(),
			"AWS_REGION":                  awscdk.Aws_REGION(),
			"PROCESSING_INSTANCE_TYPE":    jsii.String(processing),
			"TRAINING_INSTANCE_TYPE":      jsii.String(training),
		},
	})
	grantRunPipeline(build, pipelineRole, props)

	sourceOutput := awscodepipeline.NewArtifact(jsii.String("ModelBuildSource"), nil)
	sourceAction := props.Repository.SourceAction("Source", sourceOutput)
	pipeline := awscodepipeline.NewPipeline(c, jsii.String("Pipeline"), &awscodepipeline.PipelineProps{
		PipelineName:             jsii.String(name),
		PipelineType:             awscodepipeline.PipelineType_V2,
		ArtifactBucket:           props.Artifacts.Bucket(),
		RestartExecutionOnUpdate: jsii.Bool(false),
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
	return &ModelBuild{Construct: c, PipelineRole: pipelineRole, BuildProject: build, Pipeline: pipeline}
}

// newPipelineRole creates the SageMaker pipeline execution role with only what the
// seed pipeline's steps need.
func newPipelineRole(scope constructs.Construct, props *ModelBuildProps) awsiam.Role {
	p := props.Project
	role := awsiam.NewRole(scope, jsii.String("SageMakerPipelineRole"), &awsiam.RoleProps{
		AssumedBy:   awsiam.NewServicePrincipal(jsii.String("sagemaker.amazonaws.com"), nil),
		Description: jsii.String("SageMaker pipeline and job execution role of project " + p.NameID()),
	})
	props.Artifacts.GrantReadWrite(role, "")
	props.Registry.GrantRegister(role)
	stack := awscdk.Stack_Of(scope)
	jobArns := []*string{}
	for _, jobType := range []string{"processing-job", "training-job"} {
		// SageMaker Pipelines names the jobs it starts `pipelines-<execution>-<step>-...`;
		// jobs started outside a pipeline use the project's `<name>-<id>` prefix.
		jobArns = append(jobArns,
			project.SageMakerArn(scope, jobType, "pipelines-*"),
			p.SageMakerArn(scope, jobType, "-*"))
	}
	for _, st := range []awsiam.PolicyStatement{
		statement("RunPipelineJobs", []string{
			"sagemaker:CreateProcessingJob", "sagemaker:DescribeProcessingJob", "sagemaker:StopProcessingJob",
			"sagemaker:CreateTrainingJob", "sagemaker:DescribeTrainingJob", "sagemaker:StopTrainingJob",
			"sagemaker:AddTags",
		}, jobArns, nil),
		// The pipeline starts its jobs with this same role.
		statement("PassRoleToJobs", []string{"iam:PassRole"}, []*string{role.RoleArn()},
			map[string]any{"StringEquals": map[string]any{"iam:PassedToService": "sagemaker.amazonaws.com"}}),
		statement("ReadAbaloneSampleData", []string{"s3:GetObject"},
			[]*string{jsii.String("arn:" + *stack.Partition() + ":s3:::" + sampleDataBucket + *stack.Region() + "/dataset/*")}, nil),
		statement("JobLogs", []string{"logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents", "logs:DescribeLogStreams"},
			[]*string{logGroupArn(stack, processingLogs+":*"), logGroupArn(stack, trainingLogs+":*")}, nil),
		// Jobs encrypt their volumes with the project key: SageMaker creates grants on
		// it for the volumes, and for nothing else.
		statement("EncryptJobVolumes", []string{"kms:CreateGrant"}, []*string{props.Artifacts.KeyArn()},
			map[string]any{"Bool": map[string]any{"kms:GrantIsForAWSResource": "true"}}),
		statement("DescribeProjectKey", []string{"kms:DescribeKey"}, []*string{props.Artifacts.KeyArn()}, nil),
		statement("PullBuiltInImages", []string{"ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer", "ecr:BatchCheckLayerAvailability"},
			[]*string{ecrRepositoryArn(stack, "sagemaker-scikit-learn"), ecrRepositoryArn(stack, "sagemaker-xgboost")}, nil),
	} {
		role.AddToPolicy(st)
	}
	// Actions without resource-level permissions live in a policy of their own, so that
	// accepting their `*` resource accepts nothing else.
	serviceWide := awsiam.NewPolicy(scope, jsii.String("SageMakerPipelineServiceWidePolicy"), &awsiam.PolicyProps{
		Roles: &[]awsiam.IRole{role},
		Statements: &[]awsiam.PolicyStatement{
			statement("JobMetrics", []string{"cloudwatch:PutMetricData"}, []*string{jsii.String("*")},
				map[string]any{"StringLike": map[string]any{"cloudwatch:namespace": "/aws/sagemaker/*"}}),
			statement("PullBuiltInImagesToken", []string{"ecr:GetAuthorizationToken"}, []*string{jsii.String("*")}, nil),
		},
	})
	nag.Suppress(serviceWide, nag.Rule{
		ID:        "AwsSolutions-IAM5",
		Reason:    "cloudwatch:PutMetricData and ecr:GetAuthorizationToken support no resource-level permissions; PutMetricData is limited to SageMaker's metric namespaces by condition.",
		AppliesTo: []string{"Resource::*"},
	})
	nag.Suppress(role,
		nag.Rule{
			ID:        "AwsSolutions-IAM5",
			Reason:    "Pipeline steps read and write execution-specific keys in the project's own artifact bucket.",
			AppliesTo: []string{nag.Resource(role, props.Artifacts.ObjectsArn(""))},
		},
		nag.Rule{
			ID:     "AwsSolutions-IAM5",
			Reason: "Job names are generated per execution (SageMaker Pipelines names them pipelines-<execution>-...; other jobs carry the project's <name>-<id>- prefix); model versions, log streams and the public sample data have generated names under fixed, project- or SageMaker-specific prefixes; AWS publishes the built-in images from a different account in each region.",
			AppliesToPatterns: []string{
				nag.ArnPattern("sagemaker", "processing-job/pipelines-*"),
				nag.ArnPattern("sagemaker", "training-job/pipelines-*"),
				nag.ArnPattern("sagemaker", "processing-job/"+nag.Text(role, p.ArnName("-*"))),
				nag.ArnPattern("sagemaker", "training-job/"+nag.Text(role, p.ArnName("-*"))),
				nag.ArnPatternOf(role, props.Registry.PackagesArn()),
				nag.ArnPattern("logs", "log-group:"+processingLogs+":*"),
				nag.ArnPattern("logs", "log-group:"+trainingLogs+":*"),
				nag.ArnPattern("ecr", "repository/sagemaker-scikit-learn"),
				nag.ArnPattern("ecr", "repository/sagemaker-xgboost"),
				`Resource::arn:(<AWS::Partition>|aws[a-z-]*):s3:::` + sampleDataBucket + `(<AWS::Region>|[a-z0-9-]+)/dataset/\*`,
			},
		})
	return role
}

// Names the SageMaker pipeline role's grants refer to.
const (
	// sampleDataBucket is the prefix of the regional buckets holding the public abalone
	// data set the seed pipeline reads by default.
	sampleDataBucket = "sagemaker-servicecatalog-seedcode-"
	processingLogs   = "/aws/sagemaker/ProcessingJobs"
	trainingLogs     = "/aws/sagemaker/TrainingJobs"
)

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

func statement(sid string, actions []string, resources []*string, conditions map[string]any) awsiam.PolicyStatement {
	s := &awsiam.PolicyStatementProps{
		Sid:       jsii.String(sid),
		Actions:   jsii.Strings(actions...),
		Resources: &resources,
	}
	if conditions != nil {
		s.Conditions = &conditions
	}
	return awsiam.NewPolicyStatement(s)
}

func logGroupArn(stack awscdk.Stack, name string) *string {
	return stack.FormatArn(&awscdk.ArnComponents{
		Service: jsii.String("logs"), Resource: jsii.String("log-group"),
		ResourceName: jsii.String(name), ArnFormat: awscdk.ArnFormat_COLON_RESOURCE_NAME,
	})
}

// ecrRepositoryArn matches the AWS-owned repository of a built-in SageMaker image in
// this region, whatever account AWS publishes it from.
func ecrRepositoryArn(stack awscdk.Stack, repository string) *string {
	return stack.FormatArn(&awscdk.ArnComponents{
		Service: jsii.String("ecr"), Account: jsii.String("*"),
		Resource: jsii.String("repository"), ResourceName: jsii.String(repository),
	})
}

func orDefault(v, def string) string {
	if strings.TrimSpace(v) == "" {
		return def
	}
	return v
}
