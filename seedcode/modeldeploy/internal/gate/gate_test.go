package gate_test

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sagemaker"
	"github.com/aws/aws-sdk-go-v2/service/sagemaker/types"
	"github.com/aws/aws-sdk-go-v2/service/sagemakerruntime"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"modeldeploy/internal/gate"
	"modeldeploy/internal/motoserver"
)

func TestMain(m *testing.M) { motoserver.Main(m) }

const endpoint = "abalone-p-abalonedemo1-staging"

// staging creates the staging endpoint in the emulator and queues one answer per
// distinct request body.
func staging(t *testing.T, answers ...string) (*sagemaker.Client, *sagemakerruntime.Client) {
	s := motoserver.Shared(t)
	cfg := s.Config(t)
	sm := sagemaker.NewFromConfig(cfg)
	ctx := context.Background()
	_, err := sm.CreateModel(ctx, &sagemaker.CreateModelInput{
		ModelName:        aws.String("abalone-model"),
		ExecutionRoleArn: aws.String("arn:aws:iam::123456789012:role/sagemaker-project-p-abalonedemo1/model"),
		PrimaryContainer: &types.ContainerDefinition{Image: aws.String("683313688378.dkr.ecr.us-east-1.amazonaws.com/sagemaker-xgboost:1.7-1")},
	})
	require.NoError(t, err)
	_, err = sm.CreateEndpointConfig(ctx, &sagemaker.CreateEndpointConfigInput{
		EndpointConfigName: aws.String("abalone-config"),
		ProductionVariants: []types.ProductionVariant{{VariantName: aws.String("AllTraffic"), ModelName: aws.String("abalone-model"), InstanceType: types.ProductionVariantInstanceTypeMlM5Large, InitialInstanceCount: aws.Int32(1)}},
	})
	require.NoError(t, err)
	_, err = sm.CreateEndpoint(ctx, &sagemaker.CreateEndpointInput{EndpointName: aws.String(endpoint), EndpointConfigName: aws.String("abalone-config")})
	require.NoError(t, err)
	var results []map[string]string
	for _, a := range answers {
		results = append(results, map[string]string{"Body": a, "ContentType": "text/csv", "InvokedProductionVariant": "AllTraffic"})
	}
	body, _ := json.Marshal(map[string]any{"results": results})
	require.NoError(t, s.Post("/moto-api/static/sagemaker/endpoint-results", body))
	return sm, sagemakerruntime.NewFromConfig(cfg)
}

func rows(t *testing.T) []string {
	r, err := gate.ReadRows("../../samples/abalone-features.csv", 10)
	require.NoError(t, err)
	return r
}

// steadyClock advances by step at every read, so each call takes exactly step.
func steadyClock(step time.Duration) func() time.Time {
	now := time.Date(2026, 11, 24, 12, 0, 0, 0, time.UTC)
	return func() time.Time { now = now.Add(step); return now }
}

func numbers(n int) []string {
	var out []string
	for i := 0; i < n; i++ {
		out = append(out, fmt.Sprintf("%.4f\n", 8.5+float64(i)/10))
	}
	return out
}

func TestAHealthyEndpointPasses(t *testing.T) {
	sm, rt := staging(t, numbers(24)...)
	r, err := gate.Run(context.Background(), sm, rt, gate.Config{
		Endpoint: endpoint, Invocations: 30, P95Budget: 500 * time.Millisecond, Rows: rows(t), Now: steadyClock(40 * time.Millisecond),
	})
	require.NoError(t, err)
	assert.True(t, r.Passed, r.Failures)
	assert.Empty(t, r.Failures)
	assert.Equal(t, "InService", r.Status)
	require.Len(t, r.Calls, 30)
	assert.Equal(t, 8.5, *r.Calls[0].Prediction)
	assert.Equal(t, 5, r.Calls[30-1].Row, "rows are sent in turn: call 30 sends row 29 mod 24")
	assert.Equal(t, *r.Calls[0].Prediction, *r.Calls[24].Prediction, "the same row gets the same answer")
	assert.Equal(t, 40.0, r.P95Ms)
	assert.Equal(t, 500.0, r.BudgetP95Ms)
	assert.Equal(t, time.Date(2026, 11, 24, 12, 0, 0, 0, time.UTC).Add(40*time.Millisecond), r.StartedAt)
	assert.Equal(t, r.StartedAt.Add((2*30+1)*40*time.Millisecond), r.FinishedAt, "the report says when the gate finished: two clock reads a call, then the end")
}

func TestAnAnswerThatIsNotANumberFailsNamingTheRow(t *testing.T) {
	answers := numbers(24)
	answers[3] = "<html>Internal error</html>"
	sm, rt := staging(t, answers...)
	r, err := gate.Run(context.Background(), sm, rt, gate.Config{
		Endpoint: endpoint, Invocations: 20, P95Budget: time.Second, Rows: rows(t), Now: steadyClock(time.Millisecond),
	})
	require.NoError(t, err)
	assert.False(t, r.Passed)
	require.Len(t, r.Failures, 1)
	assert.Equal(t, `call 4 (row 3): the answer "<html>Internal error</html>" is not a number`, r.Failures[0])
	assert.Nil(t, r.Calls[3].Prediction)
}

func TestSlowAnswersFailTheLatencyBudget(t *testing.T) {
	sm, rt := staging(t, numbers(24)...)
	r, err := gate.Run(context.Background(), sm, rt, gate.Config{
		Endpoint: endpoint, Invocations: 20, P95Budget: 250 * time.Millisecond, Rows: rows(t), Now: steadyClock(300 * time.Millisecond),
	})
	require.NoError(t, err)
	assert.False(t, r.Passed)
	assert.Equal(t, []string{"p95 latency 300.0 ms is over the budget of 250.0 ms"}, r.Failures)
}

// The budget is inclusive: a p95 exactly at it passes, one millisecond over fails.
func TestTheLatencyBudgetHoldsExactlyAtItsBound(t *testing.T) {
	for latency, passes := range map[time.Duration]bool{250 * time.Millisecond: true, 251 * time.Millisecond: false} {
		sm, rt := staging(t, numbers(24)...)
		r, err := gate.Run(context.Background(), sm, rt, gate.Config{
			Endpoint: endpoint, Invocations: 20, P95Budget: 250 * time.Millisecond, Rows: rows(t), Now: steadyClock(latency),
		})
		require.NoError(t, err)
		assert.Equal(t, passes, r.Passed, "p95 of %v against a budget of 250ms", latency)
		assert.Equal(t, float64(latency.Milliseconds()), r.P95Ms)
	}
}

func TestAMissingEndpointFails(t *testing.T) {
	s := motoserver.Shared(t)
	cfg := s.Config(t)
	r, err := gate.Run(context.Background(), sagemaker.NewFromConfig(cfg), sagemakerruntime.NewFromConfig(cfg), gate.Config{
		Endpoint: "abalone-p-abalonedemo1-nowhere", Invocations: 20, P95Budget: time.Second, Rows: []string{"1,2"},
	})
	require.NoError(t, err)
	assert.False(t, r.Passed)
	require.Len(t, r.Failures, 1)
	assert.True(t, strings.HasPrefix(r.Failures[0], "endpoint abalone-p-abalonedemo1-nowhere cannot be described"), r.Failures[0])
	assert.Empty(t, r.Calls, "nothing is invoked when the endpoint is not in service")
}

func TestConfigRejectsTooFewCalls(t *testing.T) {
	err := gate.Config{Endpoint: endpoint, Invocations: 19, P95Budget: time.Second, Rows: []string{"1"}}.Validate()
	require.EqualError(t, err, "invocations 19 is too few: the p95 latency needs at least 20 calls")
	err = gate.Config{Endpoint: endpoint, Invocations: 20, P95Budget: 0, Rows: []string{"1"}}.Validate()
	require.EqualError(t, err, "p95 latency budget 0s must be positive")
}

func TestPercentileIsNearestRank(t *testing.T) {
	var ds []time.Duration
	for i := 1; i <= 20; i++ {
		ds = append(ds, time.Duration(i)*time.Millisecond)
	}
	assert.Equal(t, 19*time.Millisecond, gate.Percentile(ds, 95), "the 19th of 20")
	assert.Equal(t, 10*time.Millisecond, gate.Percentile(ds, 50))
	assert.Equal(t, 20*time.Millisecond, gate.Percentile(ds, 100))
	ds = append(ds, time.Second)
	assert.Equal(t, 20*time.Millisecond, gate.Percentile(ds, 95), "one outlier in 21 calls does not move p95")
}

func TestParsePrediction(t *testing.T) {
	for body, want := range map[string]float64{"9.8": 9.8, "9.8\n": 9.8, "9.8,": 9.8, " 10 ": 10, "-1.5e1": -15} {
		v, err := gate.ParsePrediction([]byte(body))
		require.NoError(t, err, body)
		assert.Equal(t, want, v, body)
	}
	for _, body := range []string{"", "body", "NaN", "+Inf", "9.8,7.1", `{"predictions":[9.8]}`} {
		_, err := gate.ParsePrediction([]byte(body))
		assert.Error(t, err, body)
	}
}

func TestSampleRowsAreAbaloneFeatureRows(t *testing.T) {
	rs := rows(t)
	assert.GreaterOrEqual(t, len(rs), 20)
	for i, r := range rs {
		values := strings.Split(r, ",")
		require.Len(t, values, 10, i)
		ones := 0
		for _, v := range values[7:] {
			require.Contains(t, []string{"0", "1"}, v, "row %d one-hot sex", i)
			if v == "1" {
				ones++
			}
		}
		assert.Equal(t, 1, ones, "row %d has exactly one sex", i)
	}
	_, err := gate.ReadRows("../../samples/abalone-features.csv", 11)
	assert.EqualError(t, err, "../../samples/abalone-features.csv line 1: 10 values, want 11")
}
