package resolve_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sagemaker"
	"github.com/aws/aws-sdk-go-v2/service/sagemaker/types"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"modeldeploy/internal/motoserver"
	"modeldeploy/internal/resolve"
)

func TestMain(m *testing.M) { motoserver.Main(m) }

const group = "abalone-p-abalonedemo1"

// registry is the emulator's model registry with helpers to register versions.
type registry struct {
	t  *testing.T
	sm *sagemaker.Client
}

func newRegistry(t *testing.T) registry {
	s := motoserver.Shared(t)
	r := registry{t: t, sm: sagemaker.NewFromConfig(s.Config(t))}
	_, err := r.sm.CreateModelPackageGroup(context.Background(), &sagemaker.CreateModelPackageGroupInput{ModelPackageGroupName: aws.String(group)})
	require.NoError(t, err)
	return r
}

// register adds a version with the given status and returns its ARN. Versions are
// spaced in time so that their creation times differ.
func (r registry) register(status types.ModelApprovalStatus) string {
	time.Sleep(10 * time.Millisecond)
	out, err := r.sm.CreateModelPackage(context.Background(), &sagemaker.CreateModelPackageInput{
		ModelPackageGroupName: aws.String(group),
		ModelApprovalStatus:   status,
		InferenceSpecification: &types.InferenceSpecification{
			Containers:                 []types.ModelPackageContainerDefinition{{Image: aws.String("683313688378.dkr.ecr.us-east-1.amazonaws.com/sagemaker-xgboost:1.7-1"), ModelDataUrl: aws.String("s3://sagemaker-project-p-abalonedemo1/abalone-p-abalonedemo1/model.tar.gz")}},
			SupportedContentTypes:      []string{"text/csv"},
			SupportedResponseMIMETypes: []string{"text/csv"},
		},
	})
	require.NoError(r.t, err)
	return *out.ModelPackageArn
}

func (r registry) setStatus(arn string, status types.ModelApprovalStatus) {
	_, err := r.sm.UpdateModelPackage(context.Background(), &sagemaker.UpdateModelPackageInput{ModelPackageArn: aws.String(arn), ModelApprovalStatus: status})
	require.NoError(r.t, err)
}

func TestNewestApprovedIsTheLastRegisteredApprovedVersion(t *testing.T) {
	r := newRegistry(t)
	older := r.register(types.ModelApprovalStatusPendingManualApproval)
	newest := r.register(types.ModelApprovalStatusApproved)
	r.register(types.ModelApprovalStatusRejected)
	r.register(types.ModelApprovalStatusPendingManualApproval)
	// Approving an older version later does not make it newer.
	r.setStatus(older, types.ModelApprovalStatusApproved)

	got, err := resolve.NewestApproved(context.Background(), r.sm, group)
	require.NoError(t, err)
	assert.Equal(t, newest, got.ARN)
	assert.Equal(t, int32(2), got.Version)
}

func TestARejectedNewerVersionIsNeverDeployed(t *testing.T) {
	r := newRegistry(t)
	approved := r.register(types.ModelApprovalStatusApproved)
	rejected := r.register(types.ModelApprovalStatusApproved)
	r.setStatus(rejected, types.ModelApprovalStatusRejected)

	got, err := resolve.NewestApproved(context.Background(), r.sm, group)
	require.NoError(t, err)
	assert.Equal(t, approved, got.ARN)
}

func TestNoApprovedVersionFailsNamingTheGroup(t *testing.T) {
	r := newRegistry(t)
	r.register(types.ModelApprovalStatusPendingManualApproval)
	r.register(types.ModelApprovalStatusRejected)

	_, err := resolve.NewestApproved(context.Background(), r.sm, group)
	require.EqualError(t, err, `no Approved model package in model package group "abalone-p-abalonedemo1": approve a version in the model registry first`)
}

func TestEmptyAndMissingGroups(t *testing.T) {
	r := newRegistry(t)
	_, err := resolve.NewestApproved(context.Background(), r.sm, group)
	require.EqualError(t, err, `no Approved model package in model package group "abalone-p-abalonedemo1": approve a version in the model registry first`)

	_, err = resolve.NewestApproved(context.Background(), r.sm, "no-such-group")
	require.Error(t, err)
	assert.Contains(t, err.Error(), `model package group "no-such-group" does not exist`)
}

// listing is a Client that serves fixed summaries, in the order given, one per page.
type listing struct{ summaries []types.ModelPackageSummary }

func (l listing) DescribeModelPackageGroup(context.Context, *sagemaker.DescribeModelPackageGroupInput, ...func(*sagemaker.Options)) (*sagemaker.DescribeModelPackageGroupOutput, error) {
	return &sagemaker.DescribeModelPackageGroupOutput{}, nil
}

func (l listing) ListModelPackages(_ context.Context, in *sagemaker.ListModelPackagesInput, _ ...func(*sagemaker.Options)) (*sagemaker.ListModelPackagesOutput, error) {
	page := 0
	if in.NextToken != nil {
		fmt.Sscan(*in.NextToken, &page)
	}
	out := &sagemaker.ListModelPackagesOutput{ModelPackageSummaryList: l.summaries[page : page+1]}
	if page+1 < len(l.summaries) {
		out.NextToken = aws.String(fmt.Sprint(page + 1))
	}
	return out, nil
}

// Two versions registered in the same instant: the higher version wins, whatever
// order and pages the server lists them in.
func TestVersionsCreatedAtTheSameTimeResolveToTheHigherVersion(t *testing.T) {
	at := time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)
	summary := func(version int32, created time.Time) types.ModelPackageSummary {
		return types.ModelPackageSummary{
			ModelPackageArn:     aws.String(fmt.Sprintf("arn:aws:sagemaker:eu-west-1:111111111111:model-package/%s/%d", group, version)),
			ModelPackageVersion: aws.Int32(version),
			CreationTime:        aws.Time(created),
			ModelApprovalStatus: types.ModelApprovalStatusApproved,
		}
	}
	for name, order := range map[string][]types.ModelPackageSummary{
		"higher first":          {summary(4, at), summary(3, at), summary(2, at.Add(-time.Second))},
		"higher last":           {summary(2, at.Add(-time.Second)), summary(3, at), summary(4, at)},
		"later beats higher":    {summary(5, at.Add(-time.Second)), summary(4, at)},
		"one nanosecond apart":  {summary(4, at), summary(3, at.Add(time.Nanosecond))},
		"a single version left": {summary(7, at)},
	} {
		want := map[string]int32{"higher first": 4, "higher last": 4, "later beats higher": 4, "one nanosecond apart": 3, "a single version left": 7}[name]
		got, err := resolve.NewestApproved(context.Background(), listing{order}, group)
		require.NoError(t, err, name)
		assert.Equal(t, want, got.Version, name)
	}
}
