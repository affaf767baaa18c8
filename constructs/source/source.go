// Package source provides the git repositories the project's pipelines build from: an
// AWS CodeCommit repository created and seeded by the stack, or an existing GitHub,
// GitLab or Bitbucket repository reached through an AWS CodeConnections connection.
package source

import (
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

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
	// ConnectPipeline completes pipeline, whose source action is action (made by
	// SourceAction): it adds the triggers that start the pipeline on a push to the
	// branch, unless the action starts it by itself.
	ConnectPipeline(pipeline awscodepipeline.Pipeline, action awscodepipeline.IAction)
}

// SeedExcludes are the names never bundled from a seed directory, at any depth:
// version control, virtual environments, caches, build or synth output, and
// development-only workspace files.
var SeedExcludes = []string{
	".git", ".venv", "venv", "__pycache__", "*.pyc", ".pytest_cache", ".mypy_cache", ".ruff_cache", ".tox",
	"*.egg-info", "build", "dist", "cdk.out", "node_modules", ".coverage", "htmlcov", ".DS_Store",
	"go.work", "go.work.sum",
}

// SeedCode is the code a new repository starts with. At synthesis it is written into a
// directory that CDK bundles as the seed asset.
type SeedCode interface {
	// Directory is the directory the code comes from.
	Directory() string
	// WriteTo writes the code's files into dir, an existing empty directory.
	WriteTo(dir string) error
}

// SeedDirectory is the SeedCode of a directory's files, without SeedExcludes.
type SeedDirectory string

// Directory is the directory itself.
func (d SeedDirectory) Directory() string { return string(d) }

// WriteTo copies the directory's files into dir, leaving out SeedExcludes.
func (d SeedDirectory) WriteTo(dir string) error { return CopyTree(string(d), dir) }

// CopyTree copies the files, symbolic links and directories below src into dst,
// keeping permission bits and leaving out every name that matches one of
// SeedExcludes.
func CopyTree(src, dst string) error {
	return filepath.WalkDir(src, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(src, path)
		if err != nil || rel == "." {
			return err
		}
		if Excluded(d.Name()) {
			if d.IsDir() {
				return filepath.SkipDir
			}
			return nil
		}
		target := filepath.Join(dst, rel)
		info, err := d.Info()
		if err != nil {
			return err
		}
		switch {
		case d.IsDir():
			return os.MkdirAll(target, info.Mode().Perm()|0o700)
		case d.Type()&fs.ModeSymlink != 0:
			link, err := os.Readlink(path)
			if err != nil {
				return err
			}
			return os.Symlink(link, target)
		default:
			data, err := os.ReadFile(path)
			if err != nil {
				return err
			}
			return os.WriteFile(target, data, info.Mode().Perm())
		}
	})
}

// Excluded tells whether name (of a file or directory, at any depth) matches one of
// SeedExcludes.
func Excluded(name string) bool {
	for _, pattern := range SeedExcludes {
		if ok, _ := filepath.Match(pattern, name); ok {
			return true
		}
	}
	return false
}

// NewSeedAsset bundles code as a zip asset. The code is written into a scratch
// directory that CDK stages (copies into the cloud assembly) at once, so the asset's
// hash is that of the written files; the scratch directory is removed afterwards,
// unless asset staging is disabled (`aws:cdk:disable-asset-staging`), which makes the
// asset refer to it. It panics when the code cannot be written.
func NewSeedAsset(scope constructs.Construct, id string, code SeedCode) awss3assets.Asset {
	dir, err := os.MkdirTemp("", "seed-code-")
	if err == nil {
		err = code.WriteTo(dir)
	}
	if err != nil {
		panic(fmt.Sprintf("cannot write the seed code of %s: %v", code.Directory(), err))
	}
	asset := awss3assets.NewAsset(scope, &id, &awss3assets.AssetProps{Path: jsii.String(dir)})
	if staging := scope.Node().TryGetContext(jsii.String("aws:cdk:disable-asset-staging")); staging != true && staging != "true" {
		_ = os.RemoveAll(dir)
	}
	return asset
}
