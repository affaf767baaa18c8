package gitrules

import (
	"os/exec"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

var (
	goodBranches = []string{
		"main", "master", "develop", "release/v2", "release/v1.2.3", "feature/JIRA-123_x", "_private", "a",
		"lock", "feature/lock", "v1.locks", "x.lockx", "x.loc", "x.lck", "x.Lock", "x.l", "a/b/c/d",
		"a/-", strings.Repeat("b", MaxBranchLength),
	}
	badBranches = []string{
		"", "-rf", "has space", "feature..x", "a//b", "trailing/", "/leading", "x.lock", "a/b.lock",
		".hidden", "a/.b", "a.", "a./b", "tab\tx", "semi;colon", "dollar$", "star*", "q?", "tilde~1",
		"caret^", "colon:x", "back\\slash", "at@{x}", strings.Repeat("b", MaxBranchLength+1),
	}
)

// Every branch the rule accepts is one git accepts (the real git, asked with
// check-ref-format), and the rule refuses what the app has always refused. It is a
// little stricter than git: a part may not end in a dot ("a./b"), which git allows.
func TestBranchRuleAcceptsOnlyWhatGitAccepts(t *testing.T) {
	for _, b := range goodBranches {
		assert.NoError(t, CheckBranch(b), "%q", b)
		out, err := exec.Command("git", "check-ref-format", "--branch", b).CombinedOutput()
		assert.NoError(t, err, "git refuses %q: %s", b, out)
	}
	for _, b := range badBranches {
		err := CheckBranch(b)
		require.Error(t, err, "%q", b)
		assert.Equal(t, "must be "+BranchRule, err.Error())
	}
}

func TestFullNameRuleRefusesPartsThatAURLWouldResolveAway(t *testing.T) {
	for _, good := range []string{"org/repo", "group/sub/repo", "org/.github", "o_1/r-2.x", "..a/b"} {
		assert.NoError(t, CheckFullName(good), good)
	}
	for _, bad := range []string{"", "just-a-name", "org/..", "./repo", "org/.", "org//repo", "/org/repo", "org/repo/", "org/re po", "org/" + strings.Repeat("r", MaxFullNameLength)} {
		assert.EqualError(t, CheckFullName(bad), "must be "+FullNameRule, bad)
	}
}

func TestConnectionArnAndCloneURLRules(t *testing.T) {
	const id = "0c9a8b7d-1e2f-4a3b-9c8d-7e6f5a4b3c2d"
	for _, good := range []string{"arn:aws:codeconnections:eu-west-1:111111111111:connection/" + id, "arn:aws-cn:codestar-connections:cn-north-1:111111111111:connection/" + id} {
		assert.True(t, ConnectionArn.MatchString(good), good)
	}
	for _, bad := range []string{"", "arn:aws:codestar:eu-west-1:111111111111:connection/" + id, "arn:aws:codeconnections:eu-west-1:11111111111:connection/" + id, "arn:aws:codeconnections:eu-west-1:111111111111:connection/x"} {
		assert.False(t, ConnectionArn.MatchString(bad), bad)
	}
	assert.NoError(t, CheckCloneURL("https://gitlab.example.com:8443/group/sub/repo.git"))
	for _, bad := range []string{"http://github.com/o/r.git", "https://github.com", "git@github.com:o/r.git", "https://github.com/o/r.git?x=1"} {
		assert.EqualError(t, CheckCloneURL(bad), "must be "+CloneURLRule, bad)
	}
	assert.Equal(t, "https://github.com/org/repo.git", DefaultCloneURL("org/repo"))
}
