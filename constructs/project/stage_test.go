package project

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestTheStagesNamesAndRoles(t *testing.T) {
	p := Identity{Name: "abalone", ID: "p-abalonedemo1"}
	assert.Equal(t, []Stage{Staging, Prod}, PipelineStages(), "staging deploys first")
	assert.Equal(t, "Staging", Staging.Title())
	assert.Equal(t, "Pre-prod", Stage("pre-prod").Title())
	assert.Equal(t, "/sagemaker-project-p-abalonedemo1/", p.ModelRolePath())
	assert.Equal(t, "sagemaker-abalone-p-abalonedemo1-project", p.ProjectStackName())
	assert.Equal(t, "sagemaker-p-abalonedemo1-testing", p.TestRoleName())
	assert.Equal(t, "sagemaker-p-abalonedemo1-staging-tester", p.TesterRoleName(Staging))
	assert.True(t, Target{}.IsLocal())
	assert.False(t, Target{Region: "us-east-1"}.IsLocal())
}

func TestAStageNameIsLowercaseWordsSeparatedByHyphens(t *testing.T) {
	for _, ok := range []Stage{"staging", "prod", "pre-prod", "qa2"} {
		assert.NoError(t, ok.Check(), ok)
	}
	for _, bad := range []Stage{"", "Prod", "2nd", "pre--prod", "prod-", "pre_prod"} {
		assert.EqualError(t, bad.Check(), "must be lowercase letters and digits, a letter first, words separated by single hyphens (e.g. staging, prod)", string(bad))
	}
}
