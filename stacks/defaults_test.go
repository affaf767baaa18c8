package stacks_test

import (
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/sagemaker-mlops-cdk/mlops/config"
	"github.com/sagemaker-mlops-cdk/mlops/constructs/modelbuild"
)

// The configuration cannot import modelbuild (the deploy seed compiles config, and
// must not compile the ModelBuild constructs), so its default of the SageMaker
// pipeline's instance types is written again there; this keeps the two equal.
func TestTheConfigurationsPipelineInstanceTypesAreModelBuilds(t *testing.T) {
	cfg := config.Default()
	assert.Equal(t, modelbuild.DefaultInstanceType, cfg.ProcessingInstanceType)
	assert.Equal(t, modelbuild.DefaultInstanceType, cfg.TrainingInstanceType)
}
