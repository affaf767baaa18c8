// Package stacks composes the library's constructs into the stacks of a SageMaker MLOps
// project: the project stack (artifact bucket, model registry, ModelBuild and
// ModelDeploy) and the stacks of the endpoints it deploys.
package stacks

import (
	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssagemaker"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"

	"github.com/sagemaker-mlops-cdk/mlops/config"
	"github.com/sagemaker-mlops-cdk/mlops/constructs/artifacts"
	"github.com/sagemaker-mlops-cdk/mlops/constructs/modelbuild"
	"github.com/sagemaker-mlops-cdk/mlops/constructs/modeldeploy"
	"github.com/sagemaker-mlops-cdk/mlops/constructs/monitoring"
	"github.com/sagemaker-mlops-cdk/mlops/constructs/notifications"
	"github.com/sagemaker-mlops-cdk/mlops/constructs/project"
	"github.com/sagemaker-mlops-cdk/mlops/constructs/registry"
	"github.com/sagemaker-mlops-cdk/mlops/constructs/source"
	"github.com/sagemaker-mlops-cdk/mlops/seedcode"
)

// ProjectStackProps configures a ProjectStack.
type ProjectStackProps struct {
	awscdk.StackProps
	// Config is the validated configuration of the project. Required.
	Config config.Config
	// PermissionsBoundary bounds every role the stack creates, and every role the
	// deploy pipeline's endpoint stacks create (the deploy build passes it on).
	// Default: no boundary.
	PermissionsBoundary awsiam.IManagedPolicy
	// ModelBuildSeedCondition and ModelDeploySeedCondition make the seeding of an
	// existing repository (connection source, seed code on) depend on a template's
	// condition, such as a Studio form's Sample Code switch. Default: the repository's
	// SeedCode alone decides.
	ModelBuildSeedCondition, ModelDeploySeedCondition awscdk.CfnCondition
}

// ProjectStack holds the resources of one project that live as long as the project:
// the artifact bucket, the model registry, and the ModelBuild and ModelDeploy
// repositories and pipelines.
type ProjectStack struct {
	awscdk.Stack
	// Artifacts is the project's artifact bucket and key.
	Artifacts *artifacts.ArtifactBucket
	// Registry is the project's model package group.
	Registry *registry.ModelRegistry
	// ModelBuild is the ModelBuild repository's pipeline and the SageMaker pipeline role.
	ModelBuild *modelbuild.ModelBuild
	// ModelDeploy is the ModelDeploy repository's pipeline and its triggers.
	ModelDeploy *modeldeploy.ModelDeploy
	// ModelBuildSeed and ModelDeploySeed push the seed code to an existing repository;
	// nil for a CodeCommit repository (seeded by its first commit) or without seed code.
	ModelBuildSeed, ModelDeploySeed *source.RepositorySeed
	// Notifications is the project's notification topic.
	Notifications *notifications.Notifications
}

// trustStageAccounts lets each stage account other than the project's read the model
// artifacts, write its stages' captured data, monitor it where the stage monitors its
// endpoint, and deploy the group's model versions.
func trustStageAccounts(cfg config.Config, bucket *artifacts.ArtifactBucket, models *registry.ModelRegistry) {
	accounts := cfg.StageAccounts()
	models.AllowAccounts(accounts...)
	for _, account := range accounts {
		access := artifacts.StageAccountAccess{ReadPrefix: cfg.Project.ModelArtifactsPrefix()}
		for _, stage := range project.PipelineStages() {
			st, prefix := cfg.Stage(stage), cfg.Stage(stage).CapturePrefix()
			if cfg.StageTarget(stage).Account != account || prefix == "" {
				continue
			}
			access.CapturePrefixes = append(access.CapturePrefixes, prefix)
			if st.Monitoring.Enabled {
				access.Monitored = append(access.Monitored, artifacts.MonitoredCaptures{
					CapturedPrefix: monitoring.CapturedPrefix(prefix, cfg.Project.EndpointName(stage)),
					ReportsPrefix:  monitoring.ReportsPrefix(stage),
				})
			}
		}
		bucket.GrantStageAccount(account, cfg.Project.ModelRolePath(), access)
	}
}

// newRepository creates (CodeCommit) or refers to (connection) the repository of the
// named seed (modelbuild or modeldeploy), seeds it when configured to, and registers it
// with SageMaker so that Studio shows it with the project.
func newRepository(stack awscdk.Stack, id, name string, cfg config.Config, repo config.Repository, bucket *artifacts.ArtifactBucket, description string) (source.Repository, *source.RepositorySeed) {
	var seed source.SeedCode
	if repo.SeedCode {
		seed = seedFor(name, cfg)
	}
	var r source.Repository
	var seeding *source.RepositorySeed
	var url *string
	switch repo.Source {
	case config.Connection:
		conn := source.NewConnectionRepository(stack, id, &source.ConnectionRepositoryProps{
			ConnectionArn: repo.ConnectionArn,
			FullName:      repo.FullName,
			Branch:        repo.Branch,
		})
		if seed != nil {
			seeding = source.NewRepositorySeed(stack, id+"Seed", &source.RepositorySeedProps{
				Repository:       conn,
				Seed:             seed,
				SeedName:         name,
				BuildProjectName: cfg.Project.ResourceName("seed-" + name),
				Key:              bucket.Key(),
				LogRetention:     cfg.LogRetention(),
				Network:          cfg.Network,
			})
		}
		r, url = conn, jsii.String(repo.CloneURL())
	default:
		cc := source.NewCodeCommitRepository(stack, id, &source.CodeCommitRepositoryProps{
			RepositoryName: cfg.Project.ResourceName(name),
			Description:    description,
			Branch:         repo.Branch,
			Seed:           seed,
		})
		r, url = cc, cc.Repository.RepositoryCloneUrlHttp()
	}
	awssagemaker.NewCfnCodeRepository(stack, jsii.String(id+"Registration"), &awssagemaker.CfnCodeRepositoryProps{
		GitConfig: &awssagemaker.CfnCodeRepository_GitConfigProperty{RepositoryUrl: url, Branch: jsii.String(repo.Branch)},
	})
	return r, seeding
}

// seedFor is the seed of the named repository: the ModelBuild seed carries the
// project's pipeline instance types, as the defaults its pipeline.py declares.
func seedFor(name string, cfg config.Config) source.SeedCode {
	if name == seedcode.ModelBuild {
		return seedcode.ModelBuildCode(cfg.ProcessingInstanceType, cfg.TrainingInstanceType)
	}
	return seedcode.Code(name)
}

// newNotifications creates the project's topic and what notifies it: a version
// awaiting approval, the production approval, a failed pipeline execution.
func newNotifications(stack awscdk.Stack, cfg config.Config, bucket *artifacts.ArtifactBucket, models registry.IModelRegistry, build *modelbuild.ModelBuild, deploy *modeldeploy.ModelDeploy) *notifications.Notifications {
	n := notifications.NewNotifications(stack, "Notifications", &notifications.NotificationsProps{
		Project: cfg.Project, Key: bucket.Key(), Emails: cfg.NotificationEmails, Network: cfg.Network,
	})
	n.OnVersionAwaitingApproval(models)
	n.OnManualApproval(deploy.Pipeline)
	n.OnPipelineFailure("ModelBuild", build.Pipeline)
	n.OnDeploymentFailure(deploy.Pipeline, cfg.LogRetention())
	n.OnSageMakerPipelineFailure()
	return n
}

// Environment is the project stack's explicit environment, nil when it is
// environment-agnostic.
func (s *ProjectStack) Environment() *awscdk.Environment {
	if *awscdk.Token_IsUnresolved(s.Account()) {
		return nil
	}
	return &awscdk.Environment{Account: s.Account(), Region: s.Region()}
}

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
		stackProps.StackName = jsii.String(cfg.Project.ProjectStackName())
	}
	if stackProps.Description == nil {
		stackProps.Description = jsii.String("SageMaker MLOps project " + p.NameID() + ": artifact bucket, model registry, ModelBuild and ModelDeploy pipelines")
	}
	if stackProps.Env == nil {
		stackProps.Env = projectEnvironment(cfg)
	}
	return addProject(awscdk.NewStack(scope, &id, &stackProps), props)
}

// projectEnvironment is the configuration's account and region, nil when they are
// not set.
func projectEnvironment(cfg config.Config) *awscdk.Environment {
	if cfg.Account == "" {
		return nil
	}
	return &awscdk.Environment{Account: jsii.String(cfg.Account), Region: jsii.String(cfg.Region)}
}

// addProject builds the project's resources, for a validated configuration, into
// stack.
func addProject(stack awscdk.Stack, props *ProjectStackProps) *ProjectStack {
	cfg := props.Config
	p := cfg.Project
	p.ApplyTags(stack)
	if props.PermissionsBoundary != nil {
		awsiam.PermissionsBoundary_Of(stack).Apply(props.PermissionsBoundary)
	}

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
	buildRepo, buildSeeding := newRepository(stack, "ModelBuildRepository", seedcode.ModelBuild, cfg, cfg.ModelBuild, bucket,
		"ModelBuild code of SageMaker project "+p.NameID()+": the SageMaker pipeline that trains and registers the model")
	build := modelbuild.NewModelBuild(stack, "ModelBuild", &modelbuild.ModelBuildProps{
		Project:                p,
		Repository:             buildRepo,
		Artifacts:              bucket,
		Registry:               models,
		ProcessingInstanceType: cfg.ProcessingInstanceType,
		TrainingInstanceType:   cfg.TrainingInstanceType,
		LogRetention:           cfg.LogRetention(),
		Network:                cfg.Network,
		PipIndexURL:            cfg.PipIndexURL,
	})
	deployRepo, deploySeeding := newRepository(stack, "ModelDeployRepository", seedcode.ModelDeploy, cfg, cfg.ModelDeploy, bucket,
		"ModelDeploy code of SageMaker project "+p.NameID()+": the endpoint stacks, their stage settings and the staging test gate")
	deploy := modeldeploy.NewModelDeploy(stack, "ModelDeploy", &modeldeploy.ModelDeployProps{
		Project:              p,
		Repository:           deployRepo,
		Artifacts:            bucket,
		Registry:             models,
		TestInvocations:      cfg.TestGate.Invocations,
		TestP95LatencyMs:     cfg.TestGate.P95LatencyMs,
		LogRetention:         cfg.LogRetention(),
		Staging:              cfg.StageTarget(project.Staging),
		Prod:                 cfg.StageTarget(project.Prod),
		StagingCapturePrefix: cfg.Staging.CapturePrefix(),
		ProdCapturePrefix:    cfg.Prod.CapturePrefix(),
		StagingMonitored:     cfg.Staging.Monitoring.Enabled,
		ProdMonitored:        cfg.Prod.Monitoring.Enabled,
		StagingNetwork:       cfg.Staging.Network,
		ProdNetwork:          cfg.Prod.Network,
		BuildNetwork:         cfg.Network,
		GoProxy:              cfg.GoProxy,
		PipIndexURL:          cfg.PipIndexURL,
		BootstrapQualifier:   cfg.BootstrapQualifier,
		PermissionsBoundary:  props.PermissionsBoundary,
	})
	// A pipeline runs once when it is created: after the seeding, so that it builds the
	// seeded branch.
	if buildSeeding != nil {
		buildSeeding.OnlyIf(props.ModelBuildSeedCondition)
		buildSeeding.Precede(build.Pipeline)
	}
	if deploySeeding != nil {
		deploySeeding.OnlyIf(props.ModelDeploySeedCondition)
		deploySeeding.Precede(deploy.Pipeline)
	}
	trustStageAccounts(cfg, bucket, models)
	return &ProjectStack{
		Stack: stack, Artifacts: bucket, Registry: models, ModelBuild: build, ModelDeploy: deploy,
		ModelBuildSeed: buildSeeding, ModelDeploySeed: deploySeeding,
		Notifications: newNotifications(stack, cfg, bucket, models, build, deploy),
	}
}
