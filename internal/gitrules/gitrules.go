// Package gitrules holds the rules of a Git repository's settings in one place: the
// source constructs apply them to their props, the app's configuration to its keys,
// and the Studio templates hand the same patterns to CloudFormation as parameter
// constraints. Every pattern is written in the syntax that Go's regexp (RE2) and
// CloudFormation's AllowedPattern (Java) read alike: no lookaround, no backreference.
// Each Rule text says what is allowed without naming the setting, so that each caller
// names it its own way.
package gitrules

import (
	"fmt"
	"regexp"
	"strings"
)

// MaxBranchLength is the longest branch name accepted.
const MaxBranchLength = 100

// branchChar is a character of a part of a branch name other than a dot.
const branchChar = `[A-Za-z0-9_-]`

// notLock is a dot-free part of a branch name other than "lock", since git refuses a
// branch whose last part ends in ".lock".
var notLock = `(` + strings.Join([]string{
	branchChar + `{1,3}`,
	branchChar + `{5,}`,
	`[A-Za-km-z0-9_-]` + branchChar + `{3}`,
	`l[A-Za-np-z0-9_-]` + branchChar + `{2}`,
	`lo[A-Zabd-z0-9_-]` + branchChar,
	`loc[A-Za-jl-z0-9_-]`,
}, "|") + `)`

// BranchPattern matches the branch names accepted: parts separated by single
// slashes, each of letters, digits, _ and -, with single dots inside a part (never at
// its start or end), the first character not a hyphen, and not ending in ".lock". Git
// accepts every such name; the pipelines' event patterns and build commands can carry
// it unquoted.
var BranchPattern = func() string {
	word := branchChar + `+`
	part := word + `(\.` + word + `)*`
	lastPart := `(` + word + `|` + word + `(\.` + word + `)*\.` + notLock + `)`
	first := `[A-Za-z0-9_]` + branchChar + `*`
	return `^(` + first + `((\.` + word + `)*\.` + notLock + `)?` +
		`|` + first + `(\.` + word + `)*(/` + part + `)*/` + lastPart + `)$`
}()

// BranchRule says what BranchPattern allows.
const BranchRule = "a git branch name of at most 100 characters: parts of letters, digits, _ and - separated by single slashes, single dots inside a part, not starting with -, not ending in .lock"

var branchPattern = regexp.MustCompile(BranchPattern)

// CheckBranch says why branch cannot name the branch a pipeline builds, or returns nil.
func CheckBranch(branch string) error {
	if len(branch) > MaxBranchLength || !branchPattern.MatchString(branch) {
		return fmt.Errorf("must be %s", BranchRule)
	}
	return nil
}

// FullNamePattern matches a repository's full name: owner/repo, or group/subgroup/repo
// as GitLab allows, no part "." or "..", which a clone URL would resolve away.
const FullNamePattern = `^\.{0,2}[A-Za-z0-9_-][A-Za-z0-9_.-]*(/\.{0,2}[A-Za-z0-9_-][A-Za-z0-9_.-]*)+$`

// MaxFullNameLength is the longest full name accepted.
const MaxFullNameLength = 1024

// FullNameRule says what FullNamePattern allows.
const FullNameRule = "the repository's full name, owner/repo (GitLab groups may nest; no part . or ..)"

var fullNamePattern = regexp.MustCompile(FullNamePattern)

// CheckFullName says why name is not a repository's full name, or returns nil.
func CheckFullName(name string) error {
	if len(name) > MaxFullNameLength || !fullNamePattern.MatchString(name) {
		return fmt.Errorf("must be %s", FullNameRule)
	}
	return nil
}

// ConnectionArnPattern matches a connection ARN in either form: the service was
// renamed from CodeStar Connections to CodeConnections, and older connections keep
// the old prefix.
const ConnectionArnPattern = `^arn:(aws[a-z-]*):(codestar-connections|codeconnections):([a-z0-9-]+):([0-9]{12}):connection/([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})$`

// ConnectionArnRule says what ConnectionArnPattern allows.
const ConnectionArnRule = "a CodeConnections connection ARN, arn:aws:codeconnections:<region>:<account>:connection/<uuid> (or the older codestar-connections form)"

// ConnectionArn splits a connection ARN into its partition, service, region, account
// and id; it matches nothing else.
var ConnectionArn = regexp.MustCompile(ConnectionArnPattern)

// CloneURLPattern matches the HTTPS clone URL that SageMaker Studio shows for a
// repository.
const CloneURLPattern = `^https://[A-Za-z0-9.-]+(:[0-9]+)?/[A-Za-z0-9_./~-]+$`

// CloneURLRule says what CloneURLPattern allows.
const CloneURLRule = "the repository's https:// clone URL"

var cloneURLPattern = regexp.MustCompile(CloneURLPattern)

// CheckCloneURL says why url is not a repository's HTTPS clone URL, or returns nil.
func CheckCloneURL(url string) error {
	if !cloneURLPattern.MatchString(url) {
		return fmt.Errorf("must be %s", CloneURLRule)
	}
	return nil
}

// DefaultCloneURL is the clone URL of a repository on GitHub, the default when none is
// given.
func DefaultCloneURL(fullName string) string { return "https://github.com/" + fullName + ".git" }
