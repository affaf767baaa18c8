package modeldeploy

import (
	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscodepipeline"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscodepipelineactions"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/aws-cdk-go/awscdk/v2/awskms"
	"github.com/aws/aws-cdk-go/awscdk/v2/awss3"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"

	"github.com/sagemaker-mlops-cdk/mlops/constructs/project"
	"github.com/sagemaker-mlops-cdk/mlops/deploybuild"
	"github.com/sagemaker-mlops-cdk/mlops/internal/cfnfix"
	"github.com/sagemaker-mlops-cdk/mlops/internal/nag"
)

// pipelineArtifacts is where the deploy pipeline keeps its artifacts: the project's
// bucket when every stage is local; otherwise a bucket of its own, since the stage
// accounts' deploy roles must read the pipeline's artifacts (CDK grants them the whole
// bucket) and should read nothing else of the project's.
func pipelineArtifacts(scope constructs.Construct, s *settings) awss3.IBucket {
	if s.staging.IsLocal() && s.prod.IsLocal() {
		return s.Artifacts.Bucket()
	}
	if s.Artifacts.AccessLogs() == nil {
		panic("ModelDeployProps.Artifacts has no access-log bucket: a deploy pipeline with a stage in another account keeps its artifacts in a bucket of its own, which logs to the store's access-log bucket; import the store with ArtifactBucketAttributes.AccessLogs")
	}
	key := awskms.NewKey(scope, jsii.String("PipelineArtifactsKey"), &awskms.KeyProps{
		Description:       jsii.String("Encrypts the deploy pipeline artifacts of SageMaker project " + s.Project.NameID()),
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
		ServerAccessLogsBucket: s.Artifacts.AccessLogs(),
		ServerAccessLogsPrefix: jsii.String("deploy-pipeline-artifacts/"),
		RemovalPolicy:          awscdk.RemovalPolicy_DESTROY,
		AutoDeleteObjects:      jsii.Bool(true),
		LifecycleRules:         &[]*awss3.LifecycleRule{{Id: jsii.String("ExpireArtifacts"), Expiration: awscdk.Duration_Days(jsii.Number(30))}},
	})
	cfnfix.AutoDeleteObjectsDependency(scope)
	return bucket
}

// bootstrapRole imports a CDK bootstrap role of the target, e.g. "deploy-role" or
// "cfn-exec-role".
func bootstrapRole(scope constructs.Construct, id, qualifier, role string, t project.Target) awsiam.IRole {
	arn := awscdk.Stack_Of(scope).FormatArn(&awscdk.ArnComponents{
		Service: jsii.String("iam"), Region: jsii.String(""), Account: jsii.String(t.Account),
		Resource: jsii.String("role"), ResourceName: jsii.String("cdk-" + qualifier + "-" + role + "-" + t.Account + "-" + t.Region),
	})
	return awsiam.Role_FromRoleArn(scope, jsii.String(id), arn, &awsiam.FromRoleArnOptions{Mutable: jsii.Bool(false)})
}

// newPipeline creates the pipeline Source -> Build -> DeployStaging (deploy, test,
// approve) -> DeployProd. The deploy stages run only when the build decided to deploy
// (deploybuild.VarDeploy): otherwise they are skipped, without a test gate or an
// approval. Executions supersede each other (CodePipeline's default, chosen here on
// purpose): the build always deploys the newest Approved version, so a newer
// execution may replace one waiting to enter a stage; one waiting at the production
// approval holds DeployStaging until it is approved or rejected.
func newPipeline(scope constructs.Construct, d *ModelDeploy, s *settings) awscodepipeline.Pipeline {
	p := s.Project
	sourceOutput := awscodepipeline.NewArtifact(jsii.String("ModelDeploySource"), nil)
	buildOutput := awscodepipeline.NewArtifact(jsii.String(deploybuild.BuildOutput), nil)
	testReport := awscodepipeline.NewArtifact(jsii.String("StagingTestReport"), nil)
	sourceAction := s.Repository.SourceAction("Source", sourceOutput)
	deploy := func(stage project.Stage) awscodepipeline.IAction {
		return deployAction(scope, d, s, stage, buildOutput)
	}
	build := awscodepipelineactions.NewCodeBuildAction(&awscodepipelineactions.CodeBuildActionProps{
		ActionName:         jsii.String("BuildEndpointStacks"),
		Project:            d.BuildProject,
		Input:              sourceOutput,
		Outputs:            &[]awscodepipeline.Artifact{buildOutput},
		VariablesNamespace: jsii.String(deploybuild.BuildVariablesNamespace),
	})
	pipeline := awscodepipeline.NewPipeline(scope, jsii.String("Pipeline"), &awscodepipeline.PipelineProps{
		PipelineName:             jsii.String(p.ResourceName("modeldeploy")),
		PipelineType:             awscodepipeline.PipelineType_V2,
		ArtifactBucket:           pipelineArtifacts(scope, s),
		RestartExecutionOnUpdate: jsii.Bool(false),
		// The actions run as the pipeline's role: CDK's default role per action
		// is one the pipeline's role may assume, so it bounds nothing.
		UsePipelineRoleForActions: jsii.Bool(true),
		Stages: &[]*awscodepipeline.StageProps{
			{StageName: jsii.String("Source"), Actions: &[]awscodepipeline.IAction{sourceAction}},
			{StageName: jsii.String("Build"), Actions: &[]awscodepipeline.IAction{build}},
			{StageName: jsii.String("Deploy" + project.Staging.Title()), BeforeEntry: onlyWhenDeploying(build, project.Staging), Actions: &[]awscodepipeline.IAction{
				deploy(project.Staging),
				awscodepipelineactions.NewCodeBuildAction(&awscodepipelineactions.CodeBuildActionProps{
					ActionName: jsii.String("TestStaging"),
					RunOrder:   jsii.Number(2),
					Project:    d.TestProject,
					Input:      sourceOutput,
					// The test gate as the Build stage compiled it.
					ExtraInputs: &[]awscodepipeline.Artifact{buildOutput},
					Outputs:     &[]awscodepipeline.Artifact{testReport},
				}),
				awscodepipelineactions.NewManualApprovalAction(&awscodepipelineactions.ManualApprovalActionProps{
					ActionName:            jsii.String("ApproveDeployment"),
					RunOrder:              jsii.Number(3),
					AdditionalInformation: jsii.String("Approve this model for Production: the staging endpoint " + p.EndpointName(project.Staging) + " passed the test gate (report in the StagingTestReport artifact). The build: " + *build.Variable(jsii.String(deploybuild.VarDeployReason))),
				}),
			}},
			{StageName: jsii.String("Deploy" + project.Prod.Title()), BeforeEntry: onlyWhenDeploying(build, project.Prod), Actions: &[]awscodepipeline.IAction{deploy(project.Prod)}},
		},
		ExecutionMode: awscodepipeline.ExecutionMode_SUPERSEDED,
	})
	s.Repository.ConnectPipeline(pipeline, sourceAction)
	cfnfix.PipelineRoleDependency(pipeline)
	if role := sourceAction.ActionProperties().Role; role != nil {
		nag.Suppress(role, nag.PipelineArtifactsRule(pipeline.ArtifactBucket()))
	}
	return pipeline
}

// onlyWhenDeploying is the entry condition of a deploy stage: the stage is skipped
// unless the build decided to deploy.
func onlyWhenDeploying(build awscodepipelineactions.CodeBuildAction, stage project.Stage) *awscodepipeline.Conditions {
	return &awscodepipeline.Conditions{Conditions: &[]*awscodepipeline.Condition{{
		Result: awscodepipeline.Result_SKIP,
		Rules: &[]awscodepipeline.Rule{awscodepipeline.NewRule(&awscodepipeline.RuleProps{
			Name:     jsii.String("Deploy" + stage.Title() + "WhenTheBuildDeploys"),
			Provider: jsii.String("VariableCheck"),
			Version:  jsii.String("1"),
			Configuration: &map[string]interface{}{
				"Variable": *build.Variable(jsii.String(deploybuild.VarDeploy)), "Operator": "EQ", "Value": "true",
			},
		})},
	}}}
}

// deployAction deploys a stage's endpoint stack from the build output. Staging is
// disposable: a stack left in a failed state is replaced. Production is never deleted
// by the pipeline. A stage elsewhere deploys through its account's CDK bootstrap
// roles; a cross-account staging stack names its tester role.
func deployAction(scope constructs.Construct, d *ModelDeploy, s *settings, stage project.Stage, buildOutput awscodepipeline.Artifact) awscodepipeline.IAction {
	action := &awscodepipelineactions.CloudFormationCreateUpdateStackActionProps{
		ActionName:       jsii.String("Deploy"),
		RunOrder:         jsii.Number(1),
		StackName:        jsii.String(s.Project.DeployStackName(stage)),
		TemplatePath:     buildOutput.AtPath(jsii.String(deploybuild.TemplateFile(stage))),
		AdminPermissions: jsii.Bool(false),
		DeploymentRole:   d.DeploymentRole,
		ReplaceOnFailure: jsii.Bool(stage == project.Staging),
		CfnCapabilities:  &[]awscdk.CfnCapabilities{awscdk.CfnCapabilities_ANONYMOUS_IAM},
	}
	if t := s.target(stage); !t.IsLocal() {
		id := stage.Title()
		action.Role = bootstrapRole(scope, id+"BootstrapDeployRole", s.BootstrapQualifier, "deploy-role", t)
		action.DeploymentRole = bootstrapRole(scope, id+"BootstrapExecutionRole", s.BootstrapQualifier, "cfn-exec-role", t)
		action.Account = jsii.String(t.Account)
		if t.Region != *awscdk.Stack_Of(scope).Region() {
			action.Region = jsii.String(t.Region)
		}
		action.CfnCapabilities = &[]awscdk.CfnCapabilities{awscdk.CfnCapabilities_NAMED_IAM}
	}
	return awscodepipelineactions.NewCloudFormationCreateUpdateStackAction(action)
}
