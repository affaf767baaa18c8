package config

import (
	"fmt"

	"github.com/sagemaker-mlops-cdk/mlops/internal/gitrules"
)

// repositoryFields are the keys of one repository, below prefix (e.g. "modelBuild.").
func repositoryFields(prefix string, repo func(*Config) *Repository) []field {
	s := func(f func(*Repository) *string) func(*Config) *string {
		return func(c *Config) *string { return f(repo(c)) }
	}
	return []field{
		stringField(prefix+"source", s(func(r *Repository) *string { return (*string)(&r.Source) }), oneOf(string(CodeCommit), string(Connection))),
		stringField(prefix+"connectionArn", s(func(r *Repository) *string { return &r.ConnectionArn }), optional(connectionArn)),
		stringField(prefix+"repository", s(func(r *Repository) *string { return &r.FullName }), optional(gitrules.CheckFullName)),
		stringField(prefix+"url", s(func(r *Repository) *string { return &r.URL }), optional(gitrules.CheckCloneURL)),
		stringField(prefix+"branch", s(func(r *Repository) *string { return &r.Branch }), gitrules.CheckBranch),
		boolField(prefix+"seedCode", func(c *Config) *bool { return &repo(c).SeedCode }),
	}
}

// connectionArn accepts a connection ARN in either form.
func connectionArn(arn string) error {
	if !gitrules.ConnectionArn.MatchString(arn) {
		return fmt.Errorf("must be %s", gitrules.ConnectionArnRule)
	}
	return nil
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
