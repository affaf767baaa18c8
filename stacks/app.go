package stacks

import (
	"github.com/aws/aws-cdk-go/awscdk/v2"

	"github.com/sagemaker-mlops-cdk/mlops/config"
)

// Project is every stack of one project, as NewProject builds them.
type Project struct {
	// Project is the project stack.
	Project *ProjectStack
	// Staging and Prod are the stages' endpoint stacks, the same stacks the deploy
	// pipeline deploys, for an engineer to synthesize or deploy by hand.
	Staging, Prod *EndpointStack
}

// NewProject adds the stacks of the project described by cfg to app. Construct ids
// are stable: renaming them would replace deployed resources.
func NewProject(app awscdk.App, cfg config.Config) *Project {
	project := NewProjectStack(app, "Project", &ProjectStackProps{Config: cfg})
	endpointStack := func(id, name string, stage config.Stage) *EndpointStack {
		return NewEndpointStack(app, id, &EndpointStackProps{
			StackProps:      awscdk.StackProps{Env: project.Environment()},
			Project:         cfg.Project,
			StageName:       name,
			Stage:           stage,
			ModelPackageArn: cfg.ModelPackageArn,
		})
	}
	return &Project{
		Project: project,
		Staging: endpointStack("Staging", "staging", cfg.Staging),
		Prod:    endpointStack("Prod", "prod", cfg.Prod),
	}
}
