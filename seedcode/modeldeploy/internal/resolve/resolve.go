// Package resolve finds the model version the deploy pipeline deploys: the newest
// Approved model package of the project's group. "Newest" is by creation time, the
// order in which the ModelBuild pipeline registered the versions, and not the order
// of approval: approving an old version later does not make it newer than a version
// registered after it. (The original template listed approved packages without a
// descending sort and could deploy the oldest one.)
package resolve

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sagemaker"
	"github.com/aws/aws-sdk-go-v2/service/sagemaker/types"
	"github.com/aws/smithy-go"
)

// Client is the part of the SageMaker API the resolver calls; *sagemaker.Client
// satisfies it.
type Client interface {
	DescribeModelPackageGroup(ctx context.Context, in *sagemaker.DescribeModelPackageGroupInput, opts ...func(*sagemaker.Options)) (*sagemaker.DescribeModelPackageGroupOutput, error)
	ListModelPackages(ctx context.Context, in *sagemaker.ListModelPackagesInput, opts ...func(*sagemaker.Options)) (*sagemaker.ListModelPackagesOutput, error)
}

// ErrNoneApproved is the error of NewestApproved for a group without an Approved
// version.
var ErrNoneApproved = errors.New("no Approved model package")

// Package is one model version of a group.
type Package struct {
	// ARN of the model package.
	ARN string
	// Version is its version in the group.
	Version int32
	// Created is when it was registered.
	Created time.Time
}

// NewestApproved returns the Approved model package of group that was registered
// last. It reads every page of the listing and picks the latest creation time itself
// (ties: the higher version), so the answer does not depend on the server's order.
func NewestApproved(ctx context.Context, c Client, group string) (Package, error) {
	if _, err := c.DescribeModelPackageGroup(ctx, &sagemaker.DescribeModelPackageGroupInput{ModelPackageGroupName: aws.String(group)}); err != nil {
		if notFound(err) {
			return Package{}, fmt.Errorf("model package group %q does not exist: the ModelBuild pipeline creates versions in it; check SOURCE_MODEL_PACKAGE_GROUP_NAME", group)
		}
		return Package{}, fmt.Errorf("describe model package group %q: %w", group, err)
	}
	var newest *Package
	in := &sagemaker.ListModelPackagesInput{
		ModelPackageGroupName: aws.String(group),
		ModelApprovalStatus:   types.ModelApprovalStatusApproved,
		SortBy:                types.ModelPackageSortByCreationTime,
		SortOrder:             types.SortOrderDescending,
	}
	for {
		out, err := c.ListModelPackages(ctx, in)
		if err != nil {
			return Package{}, fmt.Errorf("list model packages of group %q: %w", group, err)
		}
		for _, s := range out.ModelPackageSummaryList {
			if s.ModelApprovalStatus != types.ModelApprovalStatusApproved || s.ModelPackageArn == nil {
				continue
			}
			p := Package{ARN: *s.ModelPackageArn, Version: aws.ToInt32(s.ModelPackageVersion), Created: aws.ToTime(s.CreationTime)}
			if newest == nil || newer(p, *newest) {
				newest = &p
			}
		}
		if out.NextToken == nil || *out.NextToken == "" {
			break
		}
		in.NextToken = out.NextToken
	}
	if newest == nil {
		return Package{}, fmt.Errorf("%w in model package group %q: approve a version in the model registry first", ErrNoneApproved, group)
	}
	return *newest, nil
}

// newer tells whether a was registered after b.
func newer(a, b Package) bool {
	if !a.Created.Equal(b.Created) {
		return a.Created.After(b.Created)
	}
	return a.Version > b.Version
}

func notFound(err error) bool {
	var apiErr smithy.APIError
	if !errors.As(err, &apiErr) {
		return false
	}
	code, msg := apiErr.ErrorCode(), strings.ToLower(apiErr.ErrorMessage())
	return code == "ResourceNotFound" || (code == "ValidationException" && (strings.Contains(msg, "does not exist") || strings.Contains(msg, "not found")))
}
