package stacks_test

import (
	"fmt"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/jsii-runtime-go"

	"github.com/sagemaker-mlops-cdk/mlops/config"
	"github.com/sagemaker-mlops-cdk/mlops/stacks"
)

// The project stack of one project, configured as cdk.json's context would.
func ExampleNewProjectStack() {
	cfg, err := config.Parse(map[string]any{"projectName": "churn", "projectId": "p-churn0001", "staging.hosting": "serverless", "staging.dataCapture.enabled": false})
	if err != nil {
		panic(err)
	}
	app := awscdk.NewApp(nil)
	project := stacks.NewProjectStack(app, "Project", &stacks.ProjectStackProps{
		StackProps: awscdk.StackProps{Env: &awscdk.Environment{Account: jsii.String("111111111111"), Region: jsii.String("eu-west-1")}},
		Config:     cfg,
	})
	fmt.Println(*project.StackName(), *project.Registry.GroupName())
	// Output:
	// sagemaker-churn-p-churn0001-project churn-p-churn0001
}

// A project as a stage of a platform team's CDK pipeline, in a stage account.
func ExampleNewProjectStage() {
	cfg, err := config.Parse(map[string]any{"projectName": "churn", "projectId": "p-churn0001"})
	if err != nil {
		panic(err)
	}
	stage := stacks.NewProjectStage(awscdk.NewApp(nil), "ChurnProject", &stacks.ProjectStageProps{
		StageProps: awscdk.StageProps{Env: &awscdk.Environment{Account: jsii.String("111111111111"), Region: jsii.String("eu-west-1")}},
		Config:     cfg,
	})
	fmt.Println(*stage.Project.StackName())
	// Output:
	// sagemaker-churn-p-churn0001-project
}
