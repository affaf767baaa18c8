package nag

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

// The metadata is what cdk-nag's NagSuppressions writes, so cdk-nag reads it back; the
// whole-app tests check that cdk-nag honours it on real templates.
func TestRuleMetadataHasCdkNagsFormat(t *testing.T) {
	r := Rule{
		ID:                "AwsSolutions-IAM5",
		Reason:            "Reads only the project's own prefix.",
		AppliesTo:         []string{"Action::s3:GetObject*"},
		AppliesToPatterns: []string{`Resource::arn:aws:s3:::bucket/[a-z]+/\*`},
	}
	assert.Equal(t, map[string]interface{}{
		"id":     "AwsSolutions-IAM5",
		"reason": "Reads only the project's own prefix.",
		"applies_to": []interface{}{
			"Action::s3:GetObject*",
			map[string]interface{}{"regex": `/^Resource::arn:aws:s3:::bucket/[a-z]+/\*$/`},
		},
	}, r.metadata())

	plain := Rule{ID: "AwsSolutions-S1", Reason: "Logs go to the bucket itself."}.metadata()
	assert.NotContains(t, plain, "applies_to", "a rule without findings applies to every finding")
}

func TestReasonBeyondLatin1IsEncodedAsCdkNagDoes(t *testing.T) {
	m := Rule{ID: "AwsSolutions-L1", Reason: "Pinned runtime → upgraded with CDK"}.metadata()
	assert.Equal(t, "UGlubmVkIHJ1bnRpbWUg4oaSIHVwZ3JhZGVkIHdpdGggQ0RL", m["reason"])
	assert.Equal(t, true, m["is_reason_encoded"])
}

func TestBadRulesPanicWithTheRule(t *testing.T) {
	assert.PanicsWithValue(t, `nag.Suppress: rule AwsSolutions-S1 needs a reason of 10 characters or more, got "short"`,
		func() { Rule{ID: "AwsSolutions-S1", Reason: "short"}.metadata() })
	assert.PanicsWithValue(t, `nag.Suppress: rule id "AwsSolutions-IAM5[Action::*]" must name a rule, e.g. AwsSolutions-IAM5, with any finding in AppliesTo`,
		func() { Rule{ID: "AwsSolutions-IAM5[Action::*]", Reason: "a long enough reason"}.metadata() })
	assert.Panics(t, func() {
		Rule{ID: "AwsSolutions-IAM5", Reason: "a long enough reason", AppliesToPatterns: []string{"("}}.metadata()
	})
}
