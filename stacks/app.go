package stacks

import (
	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"

	"github.com/sagemaker-mlops-cdk/mlops/config"
	"github.com/sagemaker-mlops-cdk/mlops/constructs/project"
	"github.com/sagemaker-mlops-cdk/mlops/stacks/endpointstack"
)

// Project is every stack of one project, as NewProject builds them.
type Project struct {
	// Project is the project stack.
	Project *ProjectStack
	// Staging and Prod are the stages' endpoint stacks, the same stacks the deploy
	// pipeline deploys, for an engineer to synthesize or deploy by hand.
	Staging, Prod *endpointstack.EndpointStack
	// Studio publishes the project as SageMaker project templates for Studio; nil
	// unless the configuration turns them on (studio.enabled).
	Studio *StudioTemplates
}

// NewProject adds the stacks of the project described by cfg to app (or a stage).
// Construct ids are stable: renaming them would replace deployed resources.
func NewProject(app constructs.Construct, cfg config.Config) *Project {
	projectStack := NewProjectStack(app, "Project", &ProjectStackProps{Config: cfg})
	endpointStack := func(stage project.Stage) *endpointstack.EndpointStack {
		props := &endpointstack.EndpointStackProps{
			StackProps:      awscdk.StackProps{Env: projectStack.Environment()},
			Project:         cfg.Project,
			Stage:           stage,
			Settings:        cfg.Stage(stage),
			ModelPackageArn: cfg.ModelPackageArn,
		}
		if t := cfg.StageTarget(stage); !t.IsLocal() {
			props.Env = &awscdk.Environment{Account: jsii.String(t.Account), Region: jsii.String(t.Region)}
			props.ArtifactsAccount, props.ArtifactsRegion = cfg.Account, cfg.Region
		}
		return endpointstack.NewEndpointStack(app, stage.Title(), props)
	}
	p := &Project{
		Project: projectStack,
		Staging: endpointStack(project.Staging),
		Prod:    endpointStack(project.Prod),
	}
	if cfg.Studio.Enabled {
		p.Studio = NewStudioTemplates(app, "StudioTemplates", &StudioTemplatesProps{Config: cfg})
	}
	return p
}
