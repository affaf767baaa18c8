package stacks

import (
	"github.com/aws/aws-cdk-go/awscdk/v2"

	"github.com/sagemaker-mlops-cdk/mlops/config"
)

// Project is every stack of one project, as NewProject builds them.
type Project struct {
	// Project is the project stack.
	Project *ProjectStack
}

// NewProject adds the stacks of the project described by cfg to app. Construct ids
// are stable: renaming them would replace deployed resources.
func NewProject(app awscdk.App, cfg config.Config) *Project {
	return &Project{
		Project: NewProjectStack(app, "Project", &ProjectStackProps{Config: cfg}),
	}
}
