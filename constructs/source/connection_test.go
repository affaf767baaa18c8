package source

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestParseConnectionArnAcceptsBothFormsAndNamesTheProblem(t *testing.T) {
	for _, arn := range []string{
		"arn:aws:codeconnections:eu-west-1:111111111111:connection/0c9a8b7d-1e2f-4a3b-9c8d-7e6f5a4b3c2d",
		"arn:aws:codestar-connections:eu-west-1:111111111111:connection/0c9a8b7d-1e2f-4a3b-9c8d-7e6f5a4b3c2d",
	} {
		c, err := ParseConnectionArn(arn)
		require.NoError(t, err)
		assert.Equal(t, "eu-west-1", c.Region)
		assert.Equal(t, "111111111111", c.Account)
		assert.Equal(t, "0c9a8b7d-1e2f-4a3b-9c8d-7e6f5a4b3c2d", c.ID)
		assert.Equal(t, []string{
			"arn:aws:codestar-connections:eu-west-1:111111111111:connection/0c9a8b7d-1e2f-4a3b-9c8d-7e6f5a4b3c2d",
			"arn:aws:codeconnections:eu-west-1:111111111111:connection/0c9a8b7d-1e2f-4a3b-9c8d-7e6f5a4b3c2d",
		}, c.Arns(), "IAM sees either form, so a grant names both")
		assert.Equal(t, "https://codestar-connections.eu-west-1.amazonaws.com/git-http/111111111111/eu-west-1/0c9a8b7d-1e2f-4a3b-9c8d-7e6f5a4b3c2d/org/repo.git", c.GitHTTPURL("org/repo"))
	}
	for _, bad := range []string{
		"",
		"arn:aws:codestar:eu-west-1:111111111111:connection/0c9a8b7d-1e2f-4a3b-9c8d-7e6f5a4b3c2d",
		"arn:aws:codeconnections:eu-west-1:11111111111:connection/0c9a8b7d-1e2f-4a3b-9c8d-7e6f5a4b3c2d",
		"arn:aws:codeconnections:eu-west-1:111111111111:connection/not-a-uuid",
	} {
		_, err := ParseConnectionArn(bad)
		require.Error(t, err, bad)
		assert.Contains(t, err.Error(), `connection ARN "`+bad+`" is invalid: must be a CodeConnections connection ARN, arn:aws:codeconnections:<region>:<account>:connection/<uuid>`)
	}
}
