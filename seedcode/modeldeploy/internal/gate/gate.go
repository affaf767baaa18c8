// Package gate is the staging test gate: before anyone is asked to approve a model for
// production, it checks that the staging endpoint is in service, invokes it with real
// feature rows, checks that every answer is a number, and holds the 95th percentile of
// the call latencies to a budget. The original template's test never invoked the
// endpoint.
package gate

import (
	"bytes"
	"context"
	"encoding/csv"
	"fmt"
	"math"
	"os"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sagemaker"
	"github.com/aws/aws-sdk-go-v2/service/sagemaker/types"
	"github.com/aws/aws-sdk-go-v2/service/sagemakerruntime"

	"github.com/sagemaker-mlops-cdk/mlops/deploybuild"
)

// Describer reads an endpoint's status; *sagemaker.Client satisfies it.
type Describer interface {
	DescribeEndpoint(ctx context.Context, in *sagemaker.DescribeEndpointInput, opts ...func(*sagemaker.Options)) (*sagemaker.DescribeEndpointOutput, error)
}

// Invoker calls an endpoint; *sagemakerruntime.Client satisfies it.
type Invoker interface {
	InvokeEndpoint(ctx context.Context, in *sagemakerruntime.InvokeEndpointInput, opts ...func(*sagemakerruntime.Options)) (*sagemakerruntime.InvokeEndpointOutput, error)
}

// Config is one run of the gate.
type Config struct {
	// Endpoint is the endpoint's name.
	Endpoint string
	// Invocations is how many calls to make, at least
	// deploybuild.MinTestInvocations; the rows are
	// sent in turn.
	Invocations int
	// P95Budget is the most the 95th percentile latency may be.
	P95Budget time.Duration
	// Rows are the request bodies: CSV feature rows without header or label.
	Rows []string
	// Now reads the clock; the latency of a call is the time between two reads.
	// Default: time.Now.
	Now func() time.Time
}

// Call is one invocation in the report.
type Call struct {
	Row        int      `json:"row"`
	LatencyMs  float64  `json:"latencyMs"`
	Prediction *float64 `json:"prediction,omitempty"`
	Error      string   `json:"error,omitempty"`
}

// Report is what the gate found; the pipeline keeps it as an artifact.
type Report struct {
	Endpoint    string    `json:"endpoint"`
	Status      string    `json:"endpointStatus"`
	Invocations int       `json:"invocations"`
	P50Ms       float64   `json:"p50Ms"`
	P95Ms       float64   `json:"p95Ms"`
	MaxMs       float64   `json:"maxMs"`
	BudgetP95Ms float64   `json:"budgetP95Ms"`
	Passed      bool      `json:"passed"`
	Failures    []string  `json:"failures"`
	Calls       []Call    `json:"calls"`
	StartedAt   time.Time `json:"startedAt"`
	FinishedAt  time.Time `json:"finishedAt"`
}

// Validate says what is wrong with cfg, or returns nil.
func (c Config) Validate() error {
	switch {
	case c.Endpoint == "":
		return fmt.Errorf("no endpoint name: set -endpoint or %s", deploybuild.EnvTestEndpoint)
	case c.Invocations < deploybuild.MinTestInvocations:
		return fmt.Errorf("invocations %d is too few: the p95 latency needs at least %d calls", c.Invocations, deploybuild.MinTestInvocations)
	case c.P95Budget <= 0:
		return fmt.Errorf("p95 latency budget %v must be positive", c.P95Budget)
	case len(c.Rows) == 0:
		return fmt.Errorf("no sample rows to send")
	}
	return nil
}

// Run checks the endpoint and returns the report; Report.Passed is false, with the
// reasons in Report.Failures, when anything failed.
func Run(ctx context.Context, d Describer, inv Invoker, cfg Config) (r Report, err error) {
	if err := cfg.Validate(); err != nil {
		return Report{}, err
	}
	now := cfg.Now
	if now == nil {
		now = time.Now
	}
	r = Report{Endpoint: cfg.Endpoint, Invocations: cfg.Invocations, BudgetP95Ms: ms(cfg.P95Budget), StartedAt: now().UTC(), Failures: []string{}, Calls: []Call{}}
	defer func() { r.FinishedAt = now().UTC() }()

	desc, err := d.DescribeEndpoint(ctx, &sagemaker.DescribeEndpointInput{EndpointName: aws.String(cfg.Endpoint)})
	if err != nil {
		r.Failures = append(r.Failures, fmt.Sprintf("endpoint %s cannot be described: %v", cfg.Endpoint, err))
		return r, nil
	}
	r.Status = string(desc.EndpointStatus)
	if desc.EndpointStatus != types.EndpointStatusInService {
		r.Failures = append(r.Failures, fmt.Sprintf("endpoint %s is %s, not InService: %s", cfg.Endpoint, desc.EndpointStatus, aws.ToString(desc.FailureReason)))
		return r, nil
	}

	var latencies []time.Duration
	for i := 0; i < cfg.Invocations; i++ {
		row := i % len(cfg.Rows)
		start := now()
		out, err := inv.InvokeEndpoint(ctx, &sagemakerruntime.InvokeEndpointInput{
			EndpointName: aws.String(cfg.Endpoint),
			ContentType:  aws.String("text/csv"),
			Accept:       aws.String("text/csv"),
			Body:         []byte(cfg.Rows[row]),
		})
		latency := now().Sub(start)
		latencies = append(latencies, latency)
		call := Call{Row: row, LatencyMs: ms(latency)}
		if err != nil {
			call.Error = err.Error()
			r.Failures = append(r.Failures, fmt.Sprintf("call %d (row %d) failed: %v", i+1, row, err))
		} else if v, perr := ParsePrediction(out.Body); perr != nil {
			call.Error = perr.Error()
			r.Failures = append(r.Failures, fmt.Sprintf("call %d (row %d): %v", i+1, row, perr))
		} else {
			call.Prediction = &v
		}
		r.Calls = append(r.Calls, call)
	}
	r.P50Ms, r.P95Ms = ms(Percentile(latencies, 50)), ms(Percentile(latencies, 95))
	r.MaxMs = ms(Percentile(latencies, 100))
	if p95 := Percentile(latencies, 95); p95 > cfg.P95Budget {
		r.Failures = append(r.Failures, fmt.Sprintf("p95 latency %.1f ms is over the budget of %.1f ms", ms(p95), ms(cfg.P95Budget)))
	}
	r.Passed = len(r.Failures) == 0
	return r, nil
}

// Percentile is the nearest-rank p-th percentile of ds (0 < p <= 100): the smallest
// value with at least p percent of the values at or below it.
func Percentile(ds []time.Duration, p float64) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	s := append([]time.Duration(nil), ds...)
	sort.Slice(s, func(i, j int) bool { return s[i] < s[j] })
	rank := int(math.Ceil(p / 100 * float64(len(s))))
	if rank < 1 {
		rank = 1
	}
	return s[rank-1]
}

// ParsePrediction reads a regression answer: one finite number, possibly followed by
// a newline or a trailing comma, as the XGBoost container writes it.
func ParsePrediction(body []byte) (float64, error) {
	text := strings.TrimSpace(string(body))
	text = strings.TrimSpace(strings.TrimSuffix(text, ","))
	v, err := strconv.ParseFloat(text, 64)
	if err != nil || math.IsNaN(v) || math.IsInf(v, 0) {
		return 0, fmt.Errorf("the answer %q is not a number", truncate(string(body), 80))
	}
	return v, nil
}

// ReadRows reads the sample rows: CSV lines of Features finite numbers each.
func ReadRows(path string, features int) ([]string, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	records, err := csv.NewReader(bytes.NewReader(data)).ReadAll()
	if err != nil {
		return nil, fmt.Errorf("%s: %v", path, err)
	}
	var rows []string
	for i, rec := range records {
		if len(rec) != features {
			return nil, fmt.Errorf("%s line %d: %d values, want %d", path, i+1, len(rec), features)
		}
		for _, v := range rec {
			if f, err := strconv.ParseFloat(v, 64); err != nil || math.IsNaN(f) || math.IsInf(f, 0) {
				return nil, fmt.Errorf("%s line %d: %q is not a finite number", path, i+1, v)
			}
		}
		rows = append(rows, strings.Join(rec, ","))
	}
	if len(rows) == 0 {
		return nil, fmt.Errorf("%s has no rows", path)
	}
	return rows, nil
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}
