package testutil

import (
	"regexp"
	"strings"
)

// Allows tells whether one of statements, with resources and condition values
// rendered and placeholders filled in by fill, allows action on resource for a
// request whose condition keys are context. It is the part of IAM's evaluation that
// least-privilege tests need: Allow statements only (the templates write no Deny to
// their roles), `*` and `?` wildcards in actions and resources, and the operators
// StringEquals, StringLike, ArnEquals, ArnLike and Bool; a condition on a key the
// request does not carry does not hold.
func Allows(statements []Statement, fill func(string) string, action, resource string, context map[string]string) bool {
	for _, s := range statements {
		if s.Effect != "Allow" || !matchesAny(s.Actions, action, fill, true) || !matchesAny(s.Resources, resource, fill, false) {
			continue
		}
		if conditionsHold(s.Conditions, fill, context) {
			return true
		}
	}
	return false
}

func matchesAny(patterns []string, value string, fill func(string) string, caseInsensitive bool) bool {
	for _, p := range patterns {
		if wildcardMatch(fill(p), value, caseInsensitive) {
			return true
		}
	}
	return false
}

// wildcardMatch matches value against an IAM pattern, where `*` is any run of
// characters (slashes included) and `?` any one character.
func wildcardMatch(pattern, value string, caseInsensitive bool) bool {
	expr := "^" + strings.NewReplacer(`\*`, ".*", `\?`, ".").Replace(regexp.QuoteMeta(pattern)) + "$"
	if caseInsensitive {
		expr = "(?i)" + expr
	}
	return regexp.MustCompile(expr).MatchString(value)
}

func conditionsHold(conditions map[string]any, fill func(string) string, context map[string]string) bool {
	for operator, block := range conditions {
		keys, _ := block.(map[string]any)
		for key, want := range keys {
			got, present := context[key]
			if !present {
				return false
			}
			held := false
			for _, w := range asList(want) {
				expected := fill(Render(w))
				switch operator {
				// A context key holds one value here, for which ForAnyValue is equality.
				case "StringEquals", "ArnEquals", "Bool", "ForAnyValue:StringEquals":
					held = held || got == expected
				case "StringLike", "ArnLike":
					held = held || wildcardMatch(expected, got, false)
				default:
					panic("testutil.Allows: condition operator " + operator + " is not modelled")
				}
			}
			if !held {
				return false
			}
		}
	}
	return true
}

// Filler replaces `${Name}` placeholders (rendered Refs and pseudo parameters) with
// values, for Allows and for rendering names as a deployment would.
func Filler(values map[string]string) func(string) string {
	pairs := make([]string, 0, 2*len(values))
	for k, v := range values {
		pairs = append(pairs, "${"+k+"}", v)
	}
	r := strings.NewReplacer(pairs...)
	return r.Replace
}
