package test

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestNoUnsuppressedNagFindingsAndNoSynthWarnings(t *testing.T) {
	for name := range configurations {
		t.Run(name, func(t *testing.T) {
			s := synthesizedConfig(t, name)
			assert.Empty(t, s.problems, "unsuppressed cdk-nag findings or synth warnings:\n%s", strings.Join(s.problems, "\n"))
			require.NotEmpty(t, s.nag, "cdk-nag wrote no report")
			suppressed := 0
			for _, l := range s.nag {
				assert.NotEqual(t, "Non-Compliant", l.Compliance, "%s on %s", l.RuleID, l.ResourceID)
				if l.Compliance == "Suppressed" {
					suppressed++
					assert.GreaterOrEqual(t, len(strings.TrimSpace(l.ExceptionReason)), 40, "suppression of %s on %s needs a real reason", l.RuleID, l.ResourceID)
				}
			}
			assert.Positive(t, suppressed, "the report lists no suppression: was it read?")
		})
	}
}
