package deploybuild

import (
	"fmt"
	"strconv"

	"github.com/sagemaker-mlops-cdk/mlops/constructs/project"
)

// The test gate's defaults and limits.
const (
	// MinTestInvocations is the fewest calls a meaningful p95 latency is computed
	// from, and the default number of calls; MaxTestInvocations keeps a gate within
	// its build's timeout.
	MinTestInvocations = 20
	MaxTestInvocations = 1000
	// DefaultTestP95LatencyMs is the default budget of the p95 latency;
	// MaxTestP95LatencyMs is SageMaker's invocation timeout.
	DefaultTestP95LatencyMs = 500
	MaxTestP95LatencyMs     = 60000
)

// CheckTestInvocations says why n calls are not allowed, or returns nil.
func CheckTestInvocations(n int) error {
	if n < MinTestInvocations || n > MaxTestInvocations {
		return fmt.Errorf("must be between %d and %d: the p95 latency needs at least %d calls", MinTestInvocations, MaxTestInvocations, MinTestInvocations)
	}
	return nil
}

// CheckTestP95LatencyMs says why a p95 budget of ms milliseconds is not allowed, or
// returns nil.
func CheckTestP95LatencyMs(ms int) error {
	if ms < 1 || ms > MaxTestP95LatencyMs {
		return fmt.Errorf("must be between 1 and %d milliseconds", MaxTestP95LatencyMs)
	}
	return nil
}

// Environment variables of the test gate's build.
const (
	EnvTestEndpoint     = "ENDPOINT_NAME"
	EnvTestInvocations  = "TEST_INVOCATIONS"
	EnvTestP95LatencyMs = "TEST_P95_LATENCY_MS"
	// EnvTestRoleArn is the role the gate assumes to reach an endpoint in another
	// account.
	EnvTestRoleArn = "TEST_ROLE_ARN"
)

// TestGate is what the test gate's build is told.
type TestGate struct {
	// Project is the project whose endpoint is tested; the build shows it.
	Project project.Identity
	// Endpoint is the staging endpoint's name.
	Endpoint string
	// Invocations is how many calls to make. Default: MinTestInvocations.
	Invocations int
	// P95LatencyMs is the budget of the p95 latency. Default: DefaultTestP95LatencyMs.
	P95LatencyMs int
	// RoleArn is the role to assume in the endpoint's account; "" for the build's own.
	RoleArn string
	// Region is the endpoint's region.
	Region string
}

// Variables are the test gate's variables, without the empty ones. Values may be CDK
// tokens.
func (g TestGate) Variables() map[string]string {
	return withoutEmpty(map[string]string{
		EnvProjectName: g.Project.Name, EnvProjectID: g.Project.ID,
		EnvTestEndpoint: g.Endpoint, EnvTestRoleArn: g.RoleArn, EnvRegion: g.Region,
		EnvTestInvocations: strconv.Itoa(g.Invocations), EnvTestP95LatencyMs: strconv.Itoa(g.P95LatencyMs),
	})
}

// ReadTestGate reads the test gate's environment, with the defaults for what is not
// set. It fails on a count that is not a whole number, naming the variable.
func ReadTestGate(getenv func(string) string) (TestGate, error) {
	g := TestGate{Project: project.Identity{Name: getenv(EnvProjectName), ID: getenv(EnvProjectID)}, Endpoint: getenv(EnvTestEndpoint), RoleArn: getenv(EnvTestRoleArn), Region: getenv(EnvRegion),
		Invocations: MinTestInvocations, P95LatencyMs: DefaultTestP95LatencyMs}
	for name, n := range map[string]*int{EnvTestInvocations: &g.Invocations, EnvTestP95LatencyMs: &g.P95LatencyMs} {
		if raw := getenv(name); raw != "" {
			v, err := strconv.Atoi(raw)
			if err != nil {
				return g, fmt.Errorf("%s %q is not a whole number", name, raw)
			}
			*n = v
		}
	}
	return g, nil
}
