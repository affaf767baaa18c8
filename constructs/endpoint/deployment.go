package endpoint

import (
	"fmt"
	"strings"
)

// Strategy is how a blue/green update shifts traffic from the old fleet to the new
// one (SageMaker's TrafficRoutingConfiguration type).
type Strategy string

// The strategies of a deployment.
const (
	// Auto is Canary when the variant always has at least twice CanaryInstances
	// instances, else AllAtOnce: the safest strategy the fleet allows.
	Auto Strategy = "auto"
	// AllAtOnce shifts all traffic to the new fleet in one step, then bakes.
	AllAtOnce Strategy = "allAtOnce"
	// Canary shifts CanaryInstances instances' worth of traffic, bakes, then shifts
	// the rest and bakes again.
	Canary Strategy = "canary"
	// Linear shifts LinearStepInstances instances' worth of traffic per step, baking
	// after each.
	Linear Strategy = "linear"
)

// Strategies are the strategies a deployment accepts.
var Strategies = []Strategy{Auto, AllAtOnce, Canary, Linear}

// The defaults of a deployment, DefaultDeployment's.
const (
	DefaultCanaryInstances     = 1
	DefaultLinearStepInstances = 1
	// DefaultBakeSeconds is how long alarms watch each traffic step before SageMaker
	// goes on: ten minutes of invocations, long enough for the latency alarm's
	// evaluation window to fill several times.
	DefaultBakeSeconds = 600
	// DefaultProvisioningSeconds is the time a deployment is given to provision the
	// new fleet, on top of its waits, when MaxExecutionSeconds is not set.
	DefaultProvisioningSeconds = 1800
	// DefaultAlarm5xxErrors trips the rollback at the first 5XX response in a minute:
	// a model that fails requests must not take traffic.
	DefaultAlarm5xxErrors = 1
	// DefaultAlarmModelLatencyMs is the model latency budget: the p99 of a minute
	// above it, in two of three minutes, trips the rollback.
	DefaultAlarmModelLatencyMs = 1000
)

// Limits SageMaker sets on a blue/green update.
const (
	MaxWaitSeconds          = 3600
	MinMaxExecutionSeconds  = 600
	MaxMaxExecutionSeconds  = 28800
	MaxAlarmModelLatencyMs  = 60000 // SageMaker ends an invocation after 60 s
	maxAlarm5xxErrors       = 100000
	maxCanaryShareOfFleet   = 50 // percent of the variant's instances
	minLinearStepShare      = 10 // percent of the variant's instances
	maxLinearStepShareFleet = 50
)

// Deployment is how SageMaker replaces the endpoint's fleet when the endpoint's model
// or configuration changes: a blue/green update whose traffic shifts by Strategy,
// watched by two CloudWatch alarms on the variant (5XX errors and model latency) that
// roll it back when they trip. Every field is taken as written, except those whose
// zero value is documented as a default.
type Deployment struct {
	// Strategy shifts the traffic. Default: Auto.
	Strategy Strategy
	// CanaryInstances is the canary's size, at most half the variant's fewest
	// instances (Canary only). Default: DefaultCanaryInstances.
	CanaryInstances int
	// LinearStepInstances is each step's size, 10 % to 50 % of the variant's
	// instances (Linear only). Default: DefaultLinearStepInstances.
	LinearStepInstances int
	// BakeSeconds is how long the alarms watch each step, 0 to 3600
	// (WaitIntervalInSeconds); 0 shifts without watching.
	BakeSeconds int
	// TerminationWaitSeconds keeps the old fleet this long after the last step, 0 to
	// 3600.
	TerminationWaitSeconds int
	// MaxExecutionSeconds bounds the whole update, 600 to 28800 and longer than its
	// waits (see Waits). Default: the waits plus DefaultProvisioningSeconds, within
	// those bounds.
	MaxExecutionSeconds int
	// Alarm5xxErrors is how many 5XX responses in a minute trip the rollback.
	// Default: DefaultAlarm5xxErrors.
	Alarm5xxErrors int
	// AlarmModelLatencyMs is the model latency budget, in milliseconds: the p99 of a
	// minute above it, in two of three minutes, trips the rollback. Default:
	// DefaultAlarmModelLatencyMs.
	AlarmModelLatencyMs int
}

// DefaultDeployment is the deployment of an endpoint whose props set none: the
// safest strategy the fleet allows, a ten-minute bake of every step and rollback on
// either alarm, even at one instance.
func DefaultDeployment() Deployment {
	return Deployment{
		Strategy: Auto, CanaryInstances: DefaultCanaryInstances, LinearStepInstances: DefaultLinearStepInstances,
		BakeSeconds: DefaultBakeSeconds, Alarm5xxErrors: DefaultAlarm5xxErrors, AlarmModelLatencyMs: DefaultAlarmModelLatencyMs,
	}
}

// Fleet is the range of instances a variant may have while it is updated: from its
// initial count, or from its autoscaling bounds, and their type. Serverless variants
// have none.
type Fleet struct {
	Fewest, Most int
	InstanceType string
	Serverless   bool
}

// shiftsAtOnce tells whether SageMaker shifts all traffic at once on fleet f whatever
// the strategy: serverless variants have no instances to shift by, and on Inf1
// instances SageMaker ignores the guardrails.
func (f Fleet) shiftsAtOnce() bool {
	return f.Serverless || strings.HasPrefix(f.InstanceType, "ml.inf1.")
}

// withDefaults is d with the documented defaults of its zero fields.
func (d Deployment) withDefaults(f Fleet) Deployment {
	if d.Strategy == "" {
		d.Strategy = Auto
	}
	if d.CanaryInstances == 0 {
		d.CanaryInstances = DefaultCanaryInstances
	}
	if d.LinearStepInstances == 0 {
		d.LinearStepInstances = DefaultLinearStepInstances
	}
	if d.Alarm5xxErrors == 0 {
		d.Alarm5xxErrors = DefaultAlarm5xxErrors
	}
	if d.AlarmModelLatencyMs == 0 {
		d.AlarmModelLatencyMs = DefaultAlarmModelLatencyMs
	}
	if d.Strategy == Auto {
		d.Strategy = AllAtOnce
		if !f.shiftsAtOnce() && f.Fewest*maxCanaryShareOfFleet/100 >= d.CanaryInstances {
			d.Strategy = Canary
		}
	}
	if d.MaxExecutionSeconds == 0 {
		d.MaxExecutionSeconds = min(max(d.Waits(f)+DefaultProvisioningSeconds, MinMaxExecutionSeconds), MaxMaxExecutionSeconds)
	}
	return d
}

// Waits is how long an update of fleet f waits in all, at most: a bake after every
// traffic step (one for all at once, two for a canary, one per step of the largest
// fleet for linear), then the termination wait.
func (d Deployment) Waits(f Fleet) int {
	steps := 1
	switch d.Strategy {
	case Canary:
		steps = 2
	case Linear:
		if d.LinearStepInstances > 0 {
			steps = (f.Most + d.LinearStepInstances - 1) / d.LinearStepInstances
		}
	}
	return steps*d.BakeSeconds + d.TerminationWaitSeconds
}

// FieldError is a problem with one field of a Deployment.
type FieldError struct {
	// Field is the Deployment field's name, e.g. "CanaryInstances".
	Field string
	// Value is the field's value.
	Value any
	// Err says what is allowed.
	Err error
}

// Check reports every field of d that SageMaker would reject for an update of fleet
// f, after defaults, each with what is allowed.
func (d Deployment) Check(f Fleet) []FieldError {
	var out []FieldError
	add := func(field string, value any, err error) {
		if err != nil {
			out = append(out, FieldError{field, value, err})
		}
	}
	r := d.withDefaults(f)
	add("Strategy", d.Strategy, checkStrategy(r.Strategy))
	add("BakeSeconds", d.BakeSeconds, waitRange(d.BakeSeconds))
	add("TerminationWaitSeconds", d.TerminationWaitSeconds, waitRange(d.TerminationWaitSeconds))
	add("Alarm5xxErrors", d.Alarm5xxErrors, between(d.Alarm5xxErrors, 0, maxAlarm5xxErrors))
	add("AlarmModelLatencyMs", d.AlarmModelLatencyMs, between(d.AlarmModelLatencyMs, 0, MaxAlarmModelLatencyMs))
	add("CanaryInstances", d.CanaryInstances, between(d.CanaryInstances, 0, 100))
	add("LinearStepInstances", d.LinearStepInstances, between(d.LinearStepInstances, 0, 100))
	if len(out) > 0 {
		return out
	}
	switch {
	case f.Serverless && r.Strategy != AllAtOnce:
		add("Strategy", d.Strategy, fmt.Errorf("shifts traffic by instances, and a serverless endpoint has none: use %s or %s", AllAtOnce, Auto))
	case f.shiftsAtOnce() && r.Strategy != AllAtOnce:
		add("Strategy", d.Strategy, fmt.Errorf("is ignored by SageMaker on Inf1 instances (%s), which it updates all at once without a final bake: use %s or %s", f.InstanceType, AllAtOnce, Auto))
	case r.Strategy == Canary && r.CanaryInstances*100 > f.Fewest*maxCanaryShareOfFleet:
		add("CanaryInstances", r.CanaryInstances, fmt.Errorf("must be at most %d %% of the variant's fewest instances (%d): %s", maxCanaryShareOfFleet, f.Fewest, allowedCanary(f)))
	case r.Strategy == Linear && (r.LinearStepInstances*100 > f.Fewest*maxLinearStepShareFleet || r.LinearStepInstances*100 < f.Most*minLinearStepShare):
		add("LinearStepInstances", r.LinearStepInstances, fmt.Errorf("must be %d %% to %d %% of the variant's instances (%d to %d): %s", minLinearStepShare, maxLinearStepShareFleet, f.Fewest, f.Most, allowedLinear(f)))
	}
	waits := r.Waits(f)
	switch {
	case d.MaxExecutionSeconds != 0 && (d.MaxExecutionSeconds < MinMaxExecutionSeconds || d.MaxExecutionSeconds > MaxMaxExecutionSeconds):
		add("MaxExecutionSeconds", d.MaxExecutionSeconds, fmt.Errorf("must be between %d and %d, or 0 for the waits plus %d", MinMaxExecutionSeconds, MaxMaxExecutionSeconds, DefaultProvisioningSeconds))
	case r.MaxExecutionSeconds <= waits:
		add("MaxExecutionSeconds", r.MaxExecutionSeconds, fmt.Errorf("must be longer than the update's waits, %d s (%s): raise it, or shorten BakeSeconds or TerminationWaitSeconds", waits, r.waitsText(f)))
	}
	return out
}

// waitsText explains Waits for an error message.
func (d Deployment) waitsText(f Fleet) string {
	return fmt.Sprintf("%d × %d s of bake and %d s of termination wait", (d.Waits(f)-d.TerminationWaitSeconds)/max(d.BakeSeconds, 1), d.BakeSeconds, d.TerminationWaitSeconds)
}

func checkStrategy(s Strategy) error {
	for _, a := range Strategies {
		if s == a {
			return nil
		}
	}
	names := make([]string, len(Strategies))
	for i, a := range Strategies {
		names[i] = string(a)
	}
	return fmt.Errorf("must be one of %s", strings.Join(names, ", "))
}

func waitRange(n int) error { return between(n, 0, MaxWaitSeconds) }

func between(n, lo, hi int) error {
	if n < lo || n > hi {
		return fmt.Errorf("must be between %d and %d", lo, hi)
	}
	return nil
}

// allowedCanary says which canary sizes fleet f allows.
func allowedCanary(f Fleet) string {
	if most := f.Fewest * maxCanaryShareOfFleet / 100; most >= 1 {
		return fmt.Sprintf("1 to %d", most)
	}
	return fmt.Sprintf("none with fewer than 2 instances, use %s or more instances", AllAtOnce)
}

// allowedLinear says which linear step sizes fleet f allows.
func allowedLinear(f Fleet) string {
	lo, hi := max((f.Most*minLinearStepShare+99)/100, 1), f.Fewest*maxLinearStepShareFleet/100
	if lo <= hi {
		return fmt.Sprintf("%d to %d", lo, hi)
	}
	return fmt.Sprintf("none for %d to %d instances, use %s or %s, or narrow the autoscaling bounds", f.Fewest, f.Most, Canary, AllAtOnce)
}
