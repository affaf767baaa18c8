package tokens_test

import (
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/jsii-runtime-go"
	"github.com/stretchr/testify/assert"

	"github.com/sagemaker-mlops-cdk/mlops/internal/testutil"
	"github.com/sagemaker-mlops-cdk/mlops/internal/tokens"
)

func TestMain(m *testing.M) { testutil.Main(m) }

// The marker check agrees with the CDK's own on parameters, pseudo parameters and
// concatenations, and on literals.
func TestIsAgreesWithTheCDK(t *testing.T) {
	stack := awscdk.NewStack(awscdk.NewApp(nil), jsii.String("S"), nil)
	param := *awscdk.NewCfnParameter(stack, jsii.String("P"), &awscdk.CfnParameterProps{Type: jsii.String("String")}).ValueAsString()
	for _, s := range []string{param, "sagemaker-" + param + "-modelbuild", *stack.Region(), "abalone", "", "${NotAToken}", "$Token[x]"} {
		assert.Equal(t, *awscdk.Token_IsUnresolved(jsii.String(s)), tokens.Is(s), "%q", s)
	}
	assert.Equal(t, "sagemaker--modelbuild", tokens.Strip("sagemaker-"+param+"-modelbuild"))
	assert.Equal(t, "abalone", tokens.Strip("abalone"))
}
