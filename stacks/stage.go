package stacks

import (
	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/constructs-go/constructs/v10"

	"github.com/sagemaker-mlops-cdk/mlops/config"
)

// ProjectStageProps configures a ProjectStage.
type ProjectStageProps struct {
	awscdk.StageProps
	// Config is the project's configuration. Required.
	Config config.Config
}

// ProjectStage wraps a project in a CDK Stage, so that a platform team's CDK pipeline
// deploys it: `pipeline.AddStage(stacks.NewProjectStage(...), ...)`. It holds the
// project stack only: the endpoint stacks are deployed by the project's own deploy
// pipeline, with the model version it resolves.
type ProjectStage struct {
	awscdk.Stage
	// Project is the project stack.
	Project *ProjectStack
}

// NewProjectStage creates the stage and the project stack in it. The stack deploys to
// the configuration's account and region when set, else to the stage's environment.
func NewProjectStage(scope constructs.Construct, id string, props *ProjectStageProps) *ProjectStage {
	stage := awscdk.NewStage(scope, &id, &props.StageProps)
	return &ProjectStage{
		Stage:   stage,
		Project: NewProjectStack(stage, "Project", &ProjectStackProps{Config: props.Config}),
	}
}
