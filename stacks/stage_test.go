package stacks_test

import (
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/pipelines"
	"github.com/aws/jsii-runtime-go"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sagemaker-mlops-cdk/mlops/config"
	"github.com/sagemaker-mlops-cdk/mlops/internal/testutil"
	"github.com/sagemaker-mlops-cdk/mlops/stacks"
)

// TestAPlatformPipelineDeploysTheProjectStage builds a platform team's CDK pipeline,
// as the README shows, adds the project as a stage behind a manual approval, and
// checks the pipeline it synthesizes.
func TestAPlatformPipelineDeploysTheProjectStage(t *testing.T) {
	env := &awscdk.Environment{Account: jsii.String("111111111111"), Region: jsii.String("eu-west-1")}
	app := testutil.NewApp(t, "", nil)
	platform := awscdk.NewStack(app, jsii.String("Platform"), &awscdk.StackProps{Env: env})
	pipeline := pipelines.NewCodePipeline(platform, jsii.String("Pipeline"), &pipelines.CodePipelineProps{
		PipelineName: jsii.String("mlops-platform"),
		Synth: pipelines.NewShellStep(jsii.String("Synth"), &pipelines.ShellStepProps{
			Input: pipelines.CodePipelineSource_Connection(jsii.String("example-org/mlops-platform"), jsii.String("main"), &pipelines.ConnectionSourceOptions{
				ConnectionArn: jsii.String("arn:aws:codeconnections:eu-west-1:111111111111:connection/0c9a8b7d-1e2f-4a3b-9c8d-7e6f5a4b3c2d"),
			}),
			Commands: jsii.Strings("make synth"),
		}),
	})
	cfg := config.Default()
	cfg.Project.Name = "churn"
	stage := stacks.NewProjectStage(app, "ChurnProject", &stacks.ProjectStageProps{
		StageProps: awscdk.StageProps{Env: env},
		Config:     cfg,
	})
	pipeline.AddStage(stage.Stage, &pipelines.AddStageOpts{
		Pre: &[]pipelines.Step{pipelines.NewManualApprovalStep(jsii.String("ApproveProject"), &pipelines.ManualApprovalStepProps{
			Comment: jsii.String("Deploy the churn MLOps project"),
		})},
	})
	pipeline.BuildPipeline()

	assert.Equal(t, "sagemaker-churn-p-abalonedemo1-project", *stage.Project.StackName())
	assert.Equal(t, "111111111111", *stage.Project.Account())
	tpl := testutil.Synth(t, platform)
	cp := tpl.Named(t, "AWS::CodePipeline::Pipeline", "Name", "mlops-platform")
	var stageNames []string
	for _, st := range cp.Properties["Stages"].([]any) {
		stageNames = append(stageNames, st.(map[string]any)["Name"].(string))
	}
	assert.Equal(t, "ChurnProject", stageNames[len(stageNames)-1])
	assert.Contains(t, stageNames, "Build")
	assert.Contains(t, stageNames, "UpdatePipeline")

	var projectActions []action
	for _, a := range actions(t, cp) {
		if a.stage == "ChurnProject" {
			projectActions = append(projectActions, a)
		}
	}
	require.Len(t, projectActions, 3)
	assert.Equal(t, "ApproveProject", projectActions[0].name)
	assert.Equal(t, "Manual", projectActions[0].provider)
	assert.Equal(t, "sagemaker-churn-p-abalonedemo1-project.Prepare", projectActions[1].name)
	assert.Equal(t, "sagemaker-churn-p-abalonedemo1-project", projectActions[1].config["StackName"])
	assert.Equal(t, "CHANGE_SET_REPLACE", projectActions[1].config["ActionMode"])
	assert.Equal(t, "sagemaker-churn-p-abalonedemo1-project.Deploy", projectActions[2].name)
	assert.Equal(t, "CHANGE_SET_EXECUTE", projectActions[2].config["ActionMode"])
	assert.Less(t, projectActions[0].runOrder, projectActions[1].runOrder, "the approval comes before the deployment")
	assert.Less(t, projectActions[1].runOrder, projectActions[2].runOrder)
}
