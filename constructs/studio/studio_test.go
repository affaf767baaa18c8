package studio_test

import (
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/jsii-runtime-go"

	"github.com/sagemaker-mlops-cdk/mlops/constructs/studio"
	"github.com/sagemaker-mlops-cdk/mlops/internal/testutil"
)

func TestMain(m *testing.M) { testutil.Main(m) }

// A project template's form: the project's name and id as SageMaker passes them, and
// the fields of one Git repository.
func ExampleNewForm() {
	stack := awscdk.NewStack(awscdk.NewApp(nil), jsii.String("Template"), nil)
	form := studio.NewForm(stack)
	form.AddGitRepository("ModelBuild", "ModelBuild CodeRepository Info")
	var names []string
	for _, child := range *stack.Node().Children() {
		if _, ok := child.(awscdk.CfnParameter); ok {
			names = append(names, *child.Node().Id())
		}
	}
	sort.Strings(names)
	fmt.Println(names)
	// Output:
	// [ModelBuildCodeRepositoryBranch ModelBuildCodeRepositoryFullname ModelBuildCodeRepositoryURL ModelBuildCodestarConnectionArn ModelBuildSampleCode SageMakerProjectId SageMakerProjectName]
}

// The publication of one project template, for the Studio of one domain.
func ExampleNewPublication() {
	// The template is a file of the app's cloud assembly, as a synthesized stage
	// writes it.
	dir, _ := os.MkdirTemp("", "cdk.out-")
	defer os.RemoveAll(dir)
	file := filepath.Join(dir, "churn.yaml")
	_ = os.WriteFile(file, []byte("Resources: {}\n"), 0o644)
	stack := awscdk.NewStack(awscdk.NewApp(&awscdk.AppProps{Outdir: &dir}), jsii.String("Templates"), &awscdk.StackProps{
		Env: &awscdk.Environment{Account: jsii.String("111111111111"), Region: jsii.String("eu-west-1")},
	})
	p := studio.NewPublication(stack, "Publication", &studio.PublicationProps{
		Templates: []studio.Template{{Name: "churn-project", File: file}},
		DomainID:  "d-abcdefghijkl",
	})
	fmt.Println(*p.Bucket.Node().Path(), *p.LaunchRole.Node().Path())
	// Output:
	// Templates/Publication/Bucket Templates/Publication/LaunchRole
}
