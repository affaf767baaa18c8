package source_test

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awskms"
	"github.com/aws/jsii-runtime-go"

	"github.com/sagemaker-mlops-cdk/mlops/constructs/source"
	"github.com/sagemaker-mlops-cdk/mlops/internal/testutil"
)

func TestMain(m *testing.M) { testutil.Main(m) }

var env = &awscdk.Environment{Account: jsii.String("111111111111"), Region: jsii.String("eu-west-1")}

// A CodeCommit repository that starts with the files of a directory of your own.
func ExampleNewCodeCommitRepository() {
	seed, _ := os.MkdirTemp("", "seed-")
	defer os.RemoveAll(seed)
	_ = os.WriteFile(filepath.Join(seed, "README.md"), []byte("# Fraud model\n"), 0o644)
	stack := awscdk.NewStack(awscdk.NewApp(nil), jsii.String("Repos"), &awscdk.StackProps{Env: env})
	repo := source.NewCodeCommitRepository(stack, "ModelBuild", &source.CodeCommitRepositoryProps{
		RepositoryName: "fraud-modelbuild",
		Seed:           source.SeedDirectory(seed),
	})
	fmt.Println(repo.Branch(), *repo.Repository.Node().Path())
	// Output:
	// main Repos/ModelBuild/Repository
}

// A GitHub repository reached through a CodeConnections connection, whose pushes to
// the release branch start a pipeline, seeded once by a build.
func ExampleNewConnectionRepository() {
	stack := awscdk.NewStack(awscdk.NewApp(nil), jsii.String("Repos"), &awscdk.StackProps{Env: env})
	repo := source.NewConnectionRepository(stack, "ModelBuild", &source.ConnectionRepositoryProps{
		ConnectionArn: "arn:aws:codeconnections:eu-west-1:111111111111:connection/0c9a8b7d-1e2f-4a3b-9c8d-7e6f5a4b3c2d",
		FullName:      "fraud-team/modelbuild",
		Branch:        "release",
	})
	seed, _ := os.MkdirTemp("", "seed-")
	defer os.RemoveAll(seed)
	_ = os.WriteFile(filepath.Join(seed, "README.md"), []byte("# Fraud model\n"), 0o644)
	seeding := source.NewRepositorySeed(stack, "Seed", &source.RepositorySeedProps{
		Repository:       repo,
		Seed:             source.SeedDirectory(seed),
		SeedName:         "modelbuild",
		BuildProjectName: "fraud-seed-modelbuild",
		Key:              awskms.NewKey(stack, jsii.String("Key"), &awskms.KeyProps{EnableKeyRotation: jsii.Bool(true)}),
	})
	fmt.Println(repo.Branch(), repo.Connection.ID, *seeding.Resource.Node().Path())
	// Output:
	// release 0c9a8b7d-1e2f-4a3b-9c8d-7e6f5a4b3c2d Repos/Seed/Resource
}
