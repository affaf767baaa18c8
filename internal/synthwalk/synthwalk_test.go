package synthwalk

import (
	"os"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssns"
	"github.com/aws/jsii-runtime-go"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sagemaker-mlops-cdk/mlops/jsiiclose"
)

func TestMain(m *testing.M) {
	code := m.Run()
	jsiiclose.Close()
	os.Exit(code)
}

// Every resource below the scope is visited once, those added after Resources too,
// and what visit changes is in the template.
func TestVisitsEveryResourceOnceAtSynthesis(t *testing.T) {
	app := awscdk.NewApp(nil)
	stack := awscdk.NewStack(app, jsii.String("Stack"), nil)
	awssns.NewCfnTopic(stack, jsii.String("Before"), nil)
	visits := map[string]int{}
	Resources(stack, "Walk", nil, func(resource awscdk.CfnResource) {
		id := *stack.GetLogicalId(resource)
		visits[id]++
		resource.AddPropertyOverride(jsii.String("DisplayName"), id)
	})
	awssns.NewCfnTopic(stack, jsii.String("After"), nil)

	template := app.Synth(nil).GetStackByName(jsii.String("Stack")).Template().(map[string]interface{})

	assert.Equal(t, map[string]int{"Before": 1, "After": 1}, visits)
	resources := template["Resources"].(map[string]interface{})
	for _, id := range []string{"Before", "After"} {
		properties := resources[id].(map[string]interface{})["Properties"].(map[string]interface{})
		assert.Equal(t, id, properties["DisplayName"])
	}
}

func TestTheCarriersIDIsTheCallers(t *testing.T) {
	stack := awscdk.NewStack(awscdk.NewApp(nil), jsii.String("Stack"), nil)
	visit := func(awscdk.CfnResource) {}
	Resources(stack, "Walk", nil, visit)
	require.NotNil(t, stack.Node().TryFindChild(jsii.String("Walk")))
	assert.Panics(t, func() { Resources(stack, "Walk", nil, visit) }, "a second walk needs an id of its own")
}
