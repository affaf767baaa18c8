package config

import (
	"fmt"
	"regexp"
)

var (
	// connectionArnPattern matches both ARN forms of a connection: the service was
	// renamed from CodeStar Connections to CodeConnections, and old connections keep
	// their codestar-connections ARN.
	connectionArnPattern = regexp.MustCompile(`^arn:aws[a-z-]*:(codestar-connections|codeconnections):[a-z0-9-]+:[0-9]{12}:connection/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$`)
	// fullNamePattern matches owner/repo, and group/subgroup/repo as GitLab allows; no
	// part is "." or "..".
	fullNamePattern = regexp.MustCompile(`^\.{0,2}[A-Za-z0-9_-][A-Za-z0-9_.-]*(/\.{0,2}[A-Za-z0-9_-][A-Za-z0-9_.-]*)+$`)
	urlPattern      = regexp.MustCompile(`^https://[A-Za-z0-9.-]+(:[0-9]+)?/[A-Za-z0-9_./~-]+$`)
)

// repositoryFields are the keys of one repository, below prefix (e.g. "modelBuild.").
func repositoryFields(prefix string, repo func(*Config) *Repository) []field {
	s := func(f func(*Repository) *string) func(*Config) *string {
		return func(c *Config) *string { return f(repo(c)) }
	}
	return []field{
		stringField(prefix+"source", s(func(r *Repository) *string { return (*string)(&r.Source) }), oneOf(string(CodeCommit), string(Connection))),
		stringField(prefix+"connectionArn", s(func(r *Repository) *string { return &r.ConnectionArn }),
			optional(matches(connectionArnPattern, "a CodeConnections connection ARN, arn:aws:codeconnections:<region>:<account>:connection/<uuid> (or the older codestar-connections form)"))),
		stringField(prefix+"repository", s(func(r *Repository) *string { return &r.FullName }),
			optional(matches(fullNamePattern, "the repository's full name, owner/repo"))),
		stringField(prefix+"url", s(func(r *Repository) *string { return &r.URL }),
			optional(matches(urlPattern, "the repository's https:// clone URL"))),
		stringField(prefix+"branch", s(func(r *Repository) *string { return &r.Branch }), branchName),
		boolField(prefix+"seedCode", func(c *Config) *bool { return &repo(c).SeedCode }),
	}
}

// problems reports the rules of a repository that involve more than one key.
func (r Repository) problems(name string) []string {
	var out []string
	if r.Source == Connection {
		if r.ConnectionArn == "" {
			out = append(out, fmt.Sprintf("%s.connectionArn is required when %s.source is connection: create a connection to your Git provider and give its ARN", name, name))
		}
		if r.FullName == "" {
			out = append(out, fmt.Sprintf("%s.repository is required when %s.source is connection: give the repository's full name, owner/repo", name, name))
		}
		return out
	}
	for _, kv := range [][2]string{{"connectionArn", r.ConnectionArn}, {"repository", r.FullName}, {"url", r.URL}} {
		if kv[1] != "" {
			out = append(out, fmt.Sprintf("%s.%s %q is set but %s.source is %s: set %s.source to connection, or remove %s.%s", name, kv[0], kv[1], name, r.Source, name, name, kv[0]))
		}
	}
	return out
}
