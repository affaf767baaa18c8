// Command mlops is the CDK app of a SageMaker MLOps project. It reads the project's
// configuration from CDK context (cdk.json and -c overrides), validates it, and
// synthesizes the project's stacks. A bad configuration stops it before any template
// is written.
package main

import (
	"fmt"
	"os"

	"github.com/aws/aws-cdk-go/awscdk/v2"

	"github.com/sagemaker-mlops-cdk/mlops/config"
	"github.com/sagemaker-mlops-cdk/mlops/jsiiclose"
	"github.com/sagemaker-mlops-cdk/mlops/stacks"
)

func main() {
	stderr := os.Stderr // jsiiclose.Close closes os.Stderr
	app := awscdk.NewApp(nil)
	context, _ := app.Node().GetAllContext(nil).(map[string]interface{})
	cfg, err := config.Parse(context)
	if err != nil {
		jsiiclose.Close()
		fmt.Fprintln(stderr, err)
		os.Exit(1)
	}
	stacks.NewProject(app, cfg)
	app.Synth(nil)
	jsiiclose.Close()
}
