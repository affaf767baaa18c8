// Command onebucket is the baseline of the synth benchmark: a Go CDK app with one
// stack holding one bucket, so that its synth time is almost only the cost of starting
// the jsii runtime and loading aws-cdk-lib.
package main

import (
	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awss3"
	"github.com/aws/jsii-runtime-go"

	"github.com/sagemaker-mlops-cdk/mlops/jsiiclose"
)

func main() {
	app := awscdk.NewApp(nil)
	stack := awscdk.NewStack(app, jsii.String("OneBucket"), nil)
	awss3.NewBucket(stack, jsii.String("Bucket"), nil)
	app.Synth(nil)
	jsiiclose.Close()
}
