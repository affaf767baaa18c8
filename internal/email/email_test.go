package email

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestCheckAcceptsPlainAddressesOnce(t *testing.T) {
	assert.NoError(t, Check(nil))
	assert.NoError(t, Check([]string{"ml-team@example.com", "oncall+ml@example.co.uk"}))
	for _, tc := range []struct {
		emails []string
		want   string
	}{
		{[]string{"ml-team"}, `"ml-team" is not an email address: give addresses such as ml-team@example.com, separated by commas`},
		{[]string{"ML Team <ml-team@example.com>"}, `"ML Team <ml-team@example.com>" is not an email address`},
		{[]string{"ml-team@localhost"}, `"ml-team@localhost" is not an email address`},
		{[]string{"a@example.com", "A@example.com"}, `"A@example.com" is listed twice`},
	} {
		err := Check(tc.emails)
		if assert.Error(t, err, tc.emails) {
			assert.Contains(t, err.Error(), tc.want)
		}
	}
}
