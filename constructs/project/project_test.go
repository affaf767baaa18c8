package project

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestNamesFollowTheOriginalTemplateWithTheIdEverywhere(t *testing.T) {
	p := Identity{Name: "abalone", ID: "p-abalonedemo1"}
	assert.NoError(t, p.Validate())
	assert.Equal(t, "abalone-p-abalonedemo1", p.NameID())
	assert.Equal(t, "sagemaker-abalone-p-abalonedemo1-modelbuild", p.ResourceName("modelbuild"))
	assert.Equal(t, "sagemaker-project-p-abalonedemo1", p.BucketName())
	assert.Equal(t, "alias/sagemaker-project-p-abalonedemo1", p.KeyAliasName())
	assert.Equal(t, "abalone-p-abalonedemo1", p.ModelPackageGroupName())
	assert.Equal(t, "abalone-p-abalonedemo1-staging", p.EndpointName("staging"))
	assert.Equal(t, "sagemaker-abalone-p-abalonedemo1-deploy-prod", p.DeployStackName("prod"))
	assert.Equal(t, "abalone-p-abalonedemo1/", p.ModelArtifactsPrefix())
}

func TestTheLongestIdentityFitsEveryServiceLimit(t *testing.T) {
	p := Identity{Name: strings.Repeat("a", MaxNameLength), ID: "p-" + strings.Repeat("b", 12)}
	assert.NoError(t, p.Validate())
	assert.LessOrEqual(t, len(p.ResourceName("modeldeploy")), 100, "CodeCommit and CodePipeline names")
	assert.LessOrEqual(t, len(p.BucketName()), 63, "S3 bucket names")
	assert.LessOrEqual(t, len(p.ModelPackageGroupName()), 63, "model package group names")
	assert.LessOrEqual(t, len(p.DeployStackName("staging")), 128, "stack names")
	assert.LessOrEqual(t, len(p.EndpointName("preproduction-x")), 63, "endpoint names leave 15 characters for the stage")
}

func TestValidateNamesTheFieldTheValueAndTheRule(t *testing.T) {
	err := Identity{Name: "9x", ID: "p-abc"}.Validate()
	assert.EqualError(t, err, `projectName "9x" is invalid: use 1-32 characters, a letter first, then letters, digits and hyphens, no hyphen at the end (pattern ^[a-zA-Z](-*[a-zA-Z0-9])*$)`)
	err = Identity{Name: "x", ID: "P-ABC"}.Validate()
	assert.EqualError(t, err, `projectId "P-ABC" is invalid: use "p-" followed by 1-12 lowercase letters or digits (pattern ^p-[a-z0-9]{1,12}$)`)
	assert.Panics(t, func() { Identity{}.MustValidate() })
}
