// Package email holds the rule for the email addresses a project's notification
// topic is subscribed to, shared by the notifications construct and the app's
// configuration.
package email

import (
	"fmt"
	"net/mail"
	"strings"
)

// Check says why addresses cannot subscribe to a topic, or returns nil: each must be
// a plain address (no display name) with a dotted domain, and appear once.
func Check(addresses []string) error {
	seen := map[string]bool{}
	for _, e := range addresses {
		a, err := mail.ParseAddress(e)
		if err != nil || a.Address != e || !strings.Contains(e[strings.LastIndex(e, "@")+1:], ".") {
			return fmt.Errorf("%q is not an email address: give addresses such as ml-team@example.com, separated by commas", e)
		}
		if seen[strings.ToLower(e)] {
			return fmt.Errorf("%q is listed twice", e)
		}
		seen[strings.ToLower(e)] = true
	}
	return nil
}
