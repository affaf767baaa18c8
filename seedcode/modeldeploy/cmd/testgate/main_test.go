package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sagemaker"
	"github.com/aws/aws-sdk-go-v2/service/sagemaker/types"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"modeldeploy/internal/gate"
	"modeldeploy/internal/motoserver"
)

func TestMain(m *testing.M) { motoserver.Main(m) }

// env is the environment the pipeline's test project gives the command, pointed at
// the emulator.
func env(s *motoserver.Server, extra map[string]string) func(string) string {
	vars := map[string]string{
		"AWS_ENDPOINT_URL": s.URL, "AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing", "AWS_REGION": motoserver.Region,
		"ENDPOINT_NAME": "abalone-p-abalonedemo1-staging", "TEST_INVOCATIONS": "24", "TEST_P95_LATENCY_MS": "60000",
	}
	for k, v := range extra {
		vars[k] = v
	}
	return func(k string) string { return vars[k] }
}

// setenv makes the AWS SDK, which reads the process environment, see env.
func setenv(t *testing.T, getenv func(string) string) {
	for _, k := range []string{"AWS_ENDPOINT_URL", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_REGION"} {
		t.Setenv(k, getenv(k))
	}
}

func deployStaging(t *testing.T, s *motoserver.Server, answer string) {
	sm := sagemaker.NewFromConfig(s.Config(t))
	ctx := context.Background()
	_, err := sm.CreateModel(ctx, &sagemaker.CreateModelInput{ModelName: aws.String("m"), ExecutionRoleArn: aws.String("arn:aws:iam::123456789012:role/r"),
		PrimaryContainer: &types.ContainerDefinition{Image: aws.String("683313688378.dkr.ecr.us-east-1.amazonaws.com/sagemaker-xgboost:1.7-1")}})
	require.NoError(t, err)
	_, err = sm.CreateEndpointConfig(ctx, &sagemaker.CreateEndpointConfigInput{EndpointConfigName: aws.String("c"),
		ProductionVariants: []types.ProductionVariant{{VariantName: aws.String("AllTraffic"), ModelName: aws.String("m"), InstanceType: types.ProductionVariantInstanceTypeMlM5Large, InitialInstanceCount: aws.Int32(1)}}})
	require.NoError(t, err)
	_, err = sm.CreateEndpoint(ctx, &sagemaker.CreateEndpointInput{EndpointName: aws.String("abalone-p-abalonedemo1-staging"), EndpointConfigName: aws.String("c")})
	require.NoError(t, err)
	var results []map[string]string
	for i := 0; i < 24; i++ {
		results = append(results, map[string]string{"Body": answer, "ContentType": "text/csv", "InvokedProductionVariant": "AllTraffic"})
	}
	body, _ := json.Marshal(map[string]any{"results": results})
	require.NoError(t, s.Post("/moto-api/static/sagemaker/endpoint-results", body))
}

func runGate(t *testing.T, getenv func(string) string, args ...string) (int, string, string, gate.Report) {
	report := filepath.Join(t.TempDir(), "test-report.json")
	var stdout, stderr bytes.Buffer
	args = append([]string{"-samples", "../../samples/abalone-features.csv", "-report", report}, args...)
	code := run(context.Background(), args, getenv, &stdout, &stderr)
	var r gate.Report
	if data, err := os.ReadFile(report); err == nil {
		require.NoError(t, json.Unmarshal(data, &r))
	}
	return code, stdout.String(), stderr.String(), r
}

func TestGatePassesAndWritesTheReport(t *testing.T) {
	s := motoserver.Shared(t)
	deployStaging(t, s, "9.73\n")
	getenv := env(s, nil)
	setenv(t, getenv)
	code, stdout, stderr, r := runGate(t, getenv)
	assert.Equal(t, 0, code, stderr)
	assert.Contains(t, stdout, "PASSED")
	assert.True(t, r.Passed)
	assert.Equal(t, 24, r.Invocations)
	assert.Len(t, r.Calls, 24)
	assert.Equal(t, 60000.0, r.BudgetP95Ms)
}

func TestGateAssumesTheStagingAccountRole(t *testing.T) {
	s := motoserver.Shared(t)
	deployStaging(t, s, "9.73")
	getenv := env(s, map[string]string{"TEST_ROLE_ARN": "arn:aws:iam::123456789012:role/sagemaker-p-abalonedemo1-staging-tester"})
	setenv(t, getenv)
	code, _, stderr, r := runGate(t, getenv)
	assert.Equal(t, 0, code, stderr)
	assert.True(t, r.Passed)
}

func TestGateFailsOnAnswersThatAreNotNumbers(t *testing.T) {
	s := motoserver.Shared(t)
	deployStaging(t, s, "model error")
	getenv := env(s, nil)
	setenv(t, getenv)
	code, _, stderr, r := runGate(t, getenv)
	assert.Equal(t, 1, code)
	assert.Contains(t, stderr, `FAILED: call 1 (row 0): the answer "model error" is not a number`)
	assert.False(t, r.Passed)
	assert.Len(t, r.Failures, 24)
}

func TestGateRejectsBadSettingsBeforeCallingAnything(t *testing.T) {
	s := motoserver.Shared(t)
	for _, tc := range []struct {
		extra map[string]string
		args  []string
		want  string
	}{
		{map[string]string{"TEST_INVOCATIONS": "5"}, nil, "invocations 5 is too few: the p95 latency needs at least 20 calls"},
		{map[string]string{"TEST_P95_LATENCY_MS": "fast"}, nil, `TEST_P95_LATENCY_MS "fast" is not a whole number`},
		{nil, []string{"-invocations", "many"}, `invalid value "many" for flag -invocations`},
		{map[string]string{"ENDPOINT_NAME": ""}, nil, "no endpoint name: set -endpoint or ENDPOINT_NAME"},
		{nil, []string{"-features", "9"}, "line 1: 10 values, want 9"},
	} {
		code, _, stderr, _ := runGate(t, env(s, tc.extra), tc.args...)
		assert.Equal(t, 2, code, tc.want)
		assert.True(t, strings.Contains(stderr, tc.want), "%q does not contain %q", stderr, tc.want)
	}
}
