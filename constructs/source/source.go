// Package source provides the git repositories the project's pipelines build from: an
// AWS CodeCommit repository created and seeded by the stack, or an existing GitHub,
// GitLab or Bitbucket repository reached through an AWS CodeConnections connection.
package source

import (
	"github.com/aws/aws-cdk-go/awscdk/v2/awscodepipeline"
	"github.com/aws/aws-cdk-go/awscdk/v2/awss3assets"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"
)

// Repository is a git repository whose branch a CodePipeline builds.
type Repository interface {
	constructs.IConstruct
	// Branch is the branch whose pushes start the pipeline.
	Branch() string
	// SourceAction returns the pipeline action that fetches the branch into output.
	SourceAction(name string, output awscodepipeline.Artifact) awscodepipeline.IAction
	// Triggers returns the pipeline triggers that start the pipeline on a push to the
	// branch through action, or nil when the action starts the pipeline by itself.
	Triggers(action awscodepipeline.IAction) *[]*awscodepipeline.TriggerProps
}

// SeedExcludes are the paths never bundled from a seed directory: version control,
// virtual environments, caches and build or synth output.
var SeedExcludes = []string{
	".git", ".venv", "venv", "__pycache__", "*.pyc", ".pytest_cache", "*.egg-info",
	"build", "dist", "cdk.out", "node_modules", ".coverage", "htmlcov", "go.work", "go.work.sum",
}

// NewSeedAsset bundles directory as a zip asset, leaving out SeedExcludes.
func NewSeedAsset(scope constructs.Construct, id, directory string) awss3assets.Asset {
	return awss3assets.NewAsset(scope, &id, &awss3assets.AssetProps{
		Path:    jsii.String(directory),
		Exclude: jsii.Strings(SeedExcludes...),
	})
}
