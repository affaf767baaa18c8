// Package stacks composes the library's constructs into the stacks of a SageMaker MLOps
// project: the project stack (artifact bucket, model registry, ModelBuild and
// ModelDeploy) and the stacks of the endpoints it deploys.
package stacks

import (
	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"

	"github.com/sagemaker-mlops-cdk/mlops/config"
	"github.com/sagemaker-mlops-cdk/mlops/constructs/artifacts"
	"github.com/sagemaker-mlops-cdk/mlops/constructs/modelbuild"
	"github.com/sagemaker-mlops-cdk/mlops/constructs/registry"
	"github.com/sagemaker-mlops-cdk/mlops/constructs/source"
	"github.com/sagemaker-mlops-cdk/mlops/seedcode"
)

// ProjectStackProps configures a ProjectStack.
type ProjectStackProps struct {
	awscdk.StackProps
	// Config is the validated configuration of the project. Required.
	Config config.Config
}

// ProjectStack holds the resources of one project that live as long as the project:
// the artifact bucket, the model registry and the ModelBuild pipeline.
type ProjectStack struct {
	awscdk.Stack
	// Artifacts is the project's artifact bucket and key.
	Artifacts *artifacts.ArtifactBucket
	// Registry is the project's model package group.
	Registry *registry.ModelRegistry
	// ModelBuild is the ModelBuild repository's pipeline and the SageMaker pipeline role.
	ModelBuild *modelbuild.ModelBuild
}

// ProjectStackName is the name of a project's stack, `sagemaker-<name>-<id>-project`.
func ProjectStackName(cfg config.Config) string { return cfg.Project.ResourceName("project") }

// NewProjectStack creates the project stack. It panics with the validation message when
// the configuration is invalid.
func NewProjectStack(scope constructs.Construct, id string, props *ProjectStackProps) *ProjectStack {
	cfg := props.Config
	if err := cfg.Validate(); err != nil {
		panic(err.Error())
	}
	p := cfg.Project
	stackProps := props.StackProps
	if stackProps.StackName == nil {
		stackProps.StackName = jsii.String(ProjectStackName(cfg))
	}
	if stackProps.Description == nil {
		stackProps.Description = jsii.String("SageMaker MLOps project " + p.NameID() + ": artifact bucket, model registry, ModelBuild pipeline")
	}
	if stackProps.Env == nil && cfg.Account != "" {
		stackProps.Env = &awscdk.Environment{Account: jsii.String(cfg.Account), Region: jsii.String(cfg.Region)}
	}
	stack := awscdk.NewStack(scope, &id, &stackProps)
	p.ApplyTags(stack)

	removal := awscdk.RemovalPolicy_RETAIN
	if cfg.RemovalPolicy == config.Destroy {
		removal = awscdk.RemovalPolicy_DESTROY
	}
	bucket := artifacts.NewArtifactBucket(stack, "Artifacts", &artifacts.ArtifactBucketProps{
		Project:                     p,
		RemovalPolicy:               removal,
		NoncurrentVersionExpiration: awscdk.Duration_Days(jsii.Number(float64(cfg.NoncurrentVersionExpirationDays))),
	})
	models := registry.NewModelRegistry(stack, "ModelRegistry", &registry.ModelRegistryProps{
		Project:       p,
		RemovalPolicy: removal,
	})
	buildRepo := source.NewCodeCommitRepository(stack, "ModelBuildRepository", &source.CodeCommitRepositoryProps{
		RepositoryName: p.ResourceName("modelbuild"),
		Description:    "ModelBuild code of SageMaker project " + p.NameID() + ": the SageMaker pipeline that trains and registers the model",
		Branch:         cfg.ModelBuild.Branch,
		SeedDirectory:  seedcode.Dir(seedcode.ModelBuild),
	})
	build := modelbuild.NewModelBuild(stack, "ModelBuild", &modelbuild.ModelBuildProps{
		Project:                p,
		Repository:             buildRepo,
		Artifacts:              bucket,
		Registry:               models,
		ProcessingInstanceType: cfg.ProcessingInstanceType,
		TrainingInstanceType:   cfg.TrainingInstanceType,
		LogRetention:           cfg.LogRetention(),
	})
	return &ProjectStack{Stack: stack, Artifacts: bucket, Registry: models, ModelBuild: build}
}
