package source

import (
	"github.com/aws/aws-cdk-go/awscdk/v2/awscodecommit"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscodepipeline"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscodepipelineactions"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"
)

// CodeCommitRepositoryProps configures a CodeCommitRepository.
type CodeCommitRepositoryProps struct {
	// RepositoryName is the repository's name. Required.
	RepositoryName string
	// Description of the repository. Default: none.
	Description string
	// Branch is the branch the seed commit lands on and whose pushes start the
	// pipeline. Default: "main".
	Branch string
	// Seed is committed as the repository's first commit. Default: the repository
	// starts empty.
	Seed SeedCode
}

// CodeCommitRepository is a CodeCommit repository created by the stack, optionally
// seeded with a directory. Its pipeline starts on an EventBridge event for a push to the
// branch, never by polling.
type CodeCommitRepository struct {
	constructs.Construct
	// Repository is the CodeCommit repository.
	Repository awscodecommit.Repository
	branch     string
}

// NewCodeCommitRepository creates the repository. It panics when RepositoryName is
// empty.
func NewCodeCommitRepository(scope constructs.Construct, id string, props *CodeCommitRepositoryProps) *CodeCommitRepository {
	if props.RepositoryName == "" {
		panic("CodeCommitRepositoryProps.RepositoryName is required")
	}
	branch := props.Branch
	if branch == "" {
		branch = "main"
	}
	c := constructs.NewConstruct(scope, &id)
	repoProps := &awscodecommit.RepositoryProps{RepositoryName: jsii.String(props.RepositoryName)}
	if props.Description != "" {
		repoProps.Description = jsii.String(props.Description)
	}
	if props.Seed != nil {
		repoProps.Code = awscodecommit.Code_FromAsset(NewSeedAsset(c, "SeedCode", props.Seed), jsii.String(branch))
	}
	repo := awscodecommit.NewRepository(c, jsii.String("Repository"), repoProps)
	return &CodeCommitRepository{Construct: c, Repository: repo, branch: branch}
}

// Branch is the branch whose pushes start the pipeline.
func (r *CodeCommitRepository) Branch() string { return r.branch }

// SourceAction returns a CodeCommit source action started by EventBridge push events.
func (r *CodeCommitRepository) SourceAction(name string, output awscodepipeline.Artifact) awscodepipeline.IAction {
	return awscodepipelineactions.NewCodeCommitSourceAction(&awscodepipelineactions.CodeCommitSourceActionProps{
		ActionName: jsii.String(name),
		Repository: r.Repository,
		Branch:     jsii.String(r.branch),
		Output:     output,
		Trigger:    awscodepipelineactions.CodeCommitTrigger_EVENTS,
	})
}

// ConnectPipeline does nothing: the source action's EventBridge rule starts the
// pipeline.
func (r *CodeCommitRepository) ConnectPipeline(awscodepipeline.Pipeline, awscodepipeline.IAction) {}
