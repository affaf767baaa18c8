// Package tokens tells strings that hold CDK tokens (values CloudFormation resolves at
// deployment, such as a parameter's value) from literal strings, without a call into
// the jsii runtime.
//
// The CDK encodes a string token as `${Token[...]}` inside a Go string, and keeps that
// marker when the string is concatenated, so a name built from a parameter still
// carries it. Rules that only make sense for a literal (a pattern, a length, a
// lowercase form) are skipped for a token, whose value CloudFormation checks with the
// parameter's own constraints.
package tokens

import "regexp"

// marker is how the CDK encodes a string token.
var marker = regexp.MustCompile(`\$\{Token\[[^\]]*\]\}`)

// Is tells whether s holds a token anywhere.
func Is(s string) bool { return marker.MatchString(s) }

// Strip removes every token from s, leaving its literal parts.
func Strip(s string) string { return marker.ReplaceAllString(s, "") }
