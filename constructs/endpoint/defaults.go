package endpoint

import "github.com/sagemaker-mlops-cdk/mlops/constructs/project"

// The defaults of an endpoint's hosting, those of SageMaker's own project template;
// the app's configuration uses them too.
const (
	DefaultInstanceType                 = "ml.m5.large"
	DefaultInstanceCount                = 1
	DefaultTargetInvocationsPerInstance = 70
	DefaultServerlessMemorySizeMiB      = 2048
	DefaultServerlessMaxConcurrency     = 5
)

// DefaultCapturePrefix is where a stage's endpoint captures data by default,
// `datacapture-<stage>`.
func DefaultCapturePrefix(stage project.Stage) string { return "datacapture-" + string(stage) }
