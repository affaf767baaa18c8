package synthwalk

import (
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssns"
	"github.com/aws/jsii-runtime-go"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sagemaker-mlops-cdk/mlops/internal/testutil"
)

func TestMain(m *testing.M) { testutil.Main(m) }

// Every resource below the scope is visited once, those added after Resources too,
// and what visit changes is in the template.
func TestVisitsEveryResourceOnceAtSynthesis(t *testing.T) {
	stack := awscdk.NewStack(testutil.NewApp(t, "", nil), jsii.String("Stack"), nil)
	awssns.NewCfnTopic(stack, jsii.String("Before"), nil)
	visits := map[string]int{}
	Resources(stack, "Walk", nil, func(resource awscdk.CfnResource) {
		id := *stack.GetLogicalId(resource)
		visits[id]++
		resource.AddPropertyOverride(jsii.String("DisplayName"), id)
	})
	awssns.NewCfnTopic(stack, jsii.String("After"), nil)

	template := testutil.Synth(t, stack)

	assert.Equal(t, map[string]int{"Before": 1, "After": 1}, visits)
	for _, id := range []string{"Before", "After"} {
		assert.Equal(t, id, template.Resource(t, id).Properties["DisplayName"])
	}
}

func TestTheCarriersIDIsTheCallers(t *testing.T) {
	stack := awscdk.NewStack(testutil.NewApp(t, "", nil), jsii.String("Stack"), nil)
	visit := func(awscdk.CfnResource) {}
	Resources(stack, "Walk", nil, visit)
	require.NotNil(t, stack.Node().TryFindChild(jsii.String("Walk")))
	assert.Panics(t, func() { Resources(stack, "Walk", nil, visit) }, "a second walk needs an id of its own")
}
