package modelbuild

import (
	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"

	"github.com/sagemaker-mlops-cdk/mlops/constructs/project"
	"github.com/sagemaker-mlops-cdk/mlops/internal/nag"
)

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
	// The quality checks compare their baselines with the group's latest Approved
	// version's, which SageMaker Pipelines looks up with this role.
	props.Registry.GrantRead(role)
	for _, st := range pipelineRoleStatements(scope, props, role) {
		role.AddToPolicy(st)
	}
	attachServiceWidePolicy(scope, role)
	nag.Suppress(role,
		nag.Rule{
			ID:        "AwsSolutions-IAM5",
			Reason:    "Pipeline steps read and write execution-specific keys in the project's own artifact bucket.",
			AppliesTo: []string{nag.Resource(role, props.Artifacts.ObjectsArn(""))},
		},
		nag.Rule{
			ID:        "AwsSolutions-IAM5",
			Reason:    "sagemaker:ListModelPackages, with which the quality checks find the latest Approved version's baselines, supports no resource-level permissions.",
			AppliesTo: []string{"Resource::*"},
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
				nag.ArnPattern("ecr", "repository/"+modelMonitorImage),
				`Resource::arn:(<AWS::Partition>|aws[a-z-]*):s3:::` + sampleDataBucket + `(<AWS::Region>|[a-z0-9-]+)/dataset/\*`,
			},
		})
	return role
}

// pipelineRoleStatements are the pipeline role's own statements: run the seed
// pipeline's jobs under its names, pass itself to them, read the sample data, write
// the jobs' logs, encrypt their volumes, pull the built-in images.
func pipelineRoleStatements(scope constructs.Construct, props *ModelBuildProps, role awsiam.Role) []awsiam.PolicyStatement {
	p := props.Project
	stack := awscdk.Stack_Of(scope)
	jobArns := []*string{}
	for _, jobType := range []string{"processing-job", "training-job"} {
		// SageMaker Pipelines names the jobs it starts `pipelines-<execution>-<step>-...`;
		// jobs started outside a pipeline use the project's `<name>-<id>` prefix.
		jobArns = append(jobArns,
			project.SageMakerArn(scope, jobType, "pipelines-*"),
			p.SageMakerArn(scope, jobType, "-*"))
	}
	return []awsiam.PolicyStatement{
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
			[]*string{ecrRepositoryArn(stack, "sagemaker-scikit-learn"), ecrRepositoryArn(stack, "sagemaker-xgboost"), ecrRepositoryArn(stack, modelMonitorImage)}, nil),
	}
}

// attachServiceWidePolicy gives role the actions without resource-level permissions,
// in a policy of their own, so that accepting their `*` resource accepts nothing else.
func attachServiceWidePolicy(scope constructs.Construct, role awsiam.Role) {
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
}

// Names the SageMaker pipeline role's grants refer to.
const (
	// sampleDataBucket is the prefix of the regional buckets holding the public abalone
	// data set the seed pipeline reads by default.
	sampleDataBucket = "sagemaker-servicecatalog-seedcode-"
	processingLogs   = "/aws/sagemaker/ProcessingJobs"
	// modelMonitorImage is SageMaker Model Monitor's analyzer, which the quality
	// checks run in.
	modelMonitorImage = "sagemaker-model-monitor-analyzer"
	trainingLogs      = "/aws/sagemaker/TrainingJobs"
)

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
