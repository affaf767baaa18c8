package decide

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/sagemaker-mlops-cdk/mlops/constructs/project"

	"modeldeploy/internal/deployed"
)

const (
	group = "abalone-p-abalonedemo1"
	v1    = "arn:aws:sagemaker:us-east-1:123456789012:model-package/abalone-p-abalonedemo1/1"
	v2    = "arn:aws:sagemaker:us-east-1:123456789012:model-package/abalone-p-abalonedemo1/2"
)

// endpointStack is a minimal endpoint stack template serving arn on instanceType.
func endpointStack(arn, instanceType string, autoscaled bool) map[string]any {
	resources := map[string]any{
		"Model":  map[string]any{"Type": "AWS::SageMaker::Model", "Properties": map[string]any{"PrimaryContainer": map[string]any{"ModelPackageName": arn}}},
		"Config": map[string]any{"Type": "AWS::SageMaker::EndpointConfig", "Properties": map[string]any{"ProductionVariants": []any{map[string]any{"InstanceType": instanceType}}}},
	}
	if autoscaled {
		resources["Target"] = map[string]any{"Type": "AWS::ApplicationAutoScaling::ScalableTarget", "Properties": map[string]any{}}
	}
	return map[string]any{"Resources": resources}
}

// stages are staging and prod running what runs and synthesized as synth (nil: no
// stack, or nothing synthesized).
func stages(runs, synth [2]map[string]any) []Stage {
	var out []Stage
	for i, name := range project.PipelineStages() {
		out = append(out, Stage{Name: name, SettingsFile: string(name) + "-config.json", Synthesized: synth[i], Deployed: deployed.Stack{Template: runs[i]}})
	}
	return out
}

var statuses = map[string]string{v1: "Approved", v2: "Rejected"}

func status(arn string) string { return statuses[arn] }

func TestDecide(t *testing.T) {
	at := func(arn string) map[string]any { return endpointStack(arn, "ml.m5.large", false) }
	cases := []struct {
		name        string
		newest      string
		runs, synth [2]map[string]any
		deploy      bool
		reason, arn string
	}{
		{"first deployment", v1, [2]map[string]any{}, [2]map[string]any{at(v1), at(v1)}, true,
			"deploying v1, the newest Approved version of abalone-p-abalonedemo1 (staging and prod changes; staging serves nothing yet, prod serves nothing yet)", v1},
		{"rejecting the version both stages serve rolls back", v1, [2]map[string]any{at(v2), at(v2)}, [2]map[string]any{at(v1), at(v1)}, true,
			"deploying v1, the newest Approved version of abalone-p-abalonedemo1 (staging and prod changes; staging serves v2 (Rejected), prod serves v2 (Rejected))", v1},
		{"a version that reached staging only", v1, [2]map[string]any{at(v2), at(v1)}, [2]map[string]any{at(v1), at(v1)}, true,
			"deploying v1, the newest Approved version of abalone-p-abalonedemo1 (staging changes; staging serves v2 (Rejected), prod serves v1)", v1},
		{"rejecting a version no stage serves changes nothing", v1, [2]map[string]any{at(v1), at(v1)}, [2]map[string]any{at(v1), at(v1)}, false,
			"every stage already runs v1 with this repository's code: nothing to deploy (staging serves v1, prod serves v1)", ""},
		{"a change of the repository's code or settings deploys", v1, [2]map[string]any{at(v1), at(v1)},
			[2]map[string]any{at(v1), endpointStack(v1, "ml.c5.xlarge", false)}, true,
			"deploying v1, the newest Approved version of abalone-p-abalonedemo1 (prod changes; staging serves v1, prod serves v1)", v1},
		{"no Approved version left", "", [2]map[string]any{at(v2), at(v2)}, [2]map[string]any{}, false,
			"no Approved model package in group abalone-p-abalonedemo1: nothing is deployed, the endpoints stay as they are (staging serves v2 (Rejected), prod serves v2 (Rejected))", ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			d, err := Decide(group, tc.newest, stages(tc.runs, tc.synth), status)
			require.NoError(t, err)
			assert.Equal(t, tc.deploy, d.Deploy)
			assert.Equal(t, tc.reason, d.Reason)
			assert.Equal(t, tc.arn, d.ModelPackageArn)
		})
	}
}

// SageMaker rejects a new instance type on an autoscaled variant: the build says how
// to get there instead.
func TestAnInstanceTypeChangeOfAnAutoscaledVariantFails(t *testing.T) {
	runs := [2]map[string]any{endpointStack(v1, "ml.m5.large", false), endpointStack(v1, "ml.m5.large", true)}
	_, err := Decide(group, v1, stages(runs, [2]map[string]any{endpointStack(v1, "ml.m5.large", false), endpointStack(v1, "ml.c5.xlarge", true)}), status)
	require.EqualError(t, err, `prod-config.json instanceType "ml.c5.xlarge": the prod endpoint runs ml.m5.large with autoscaling, and SageMaker cannot change the instance type of an autoscaled variant: first deploy with autoscaling.maxCapacity 0 (which deregisters it) and instanceType "ml.c5.xlarge", then turn autoscaling back on`)

	// Without autoscaling deployed, the type may change (the new one may autoscale).
	runs[1] = endpointStack(v1, "ml.m5.large", false)
	d, err := Decide(group, v1, stages(runs, [2]map[string]any{endpointStack(v1, "ml.m5.large", false), endpointStack(v1, "ml.c5.xlarge", true)}), status)
	require.NoError(t, err)
	assert.True(t, d.Deploy)
}
