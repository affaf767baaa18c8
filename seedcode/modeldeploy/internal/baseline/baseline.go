// Package baseline finds the data-quality baseline of the model version the build
// deploys: the files the version records as its DriftCheckBaselines (the baseline the
// ModelBuild pipeline checked it against, or registered with it), falling back to its
// ModelMetrics (the baseline computed with it), and the features and drift threshold
// its constraints file lists, which the endpoint's monitoring alarms on.
package baseline

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/sagemaker"
	"github.com/aws/aws-sdk-go-v2/service/sagemaker/types"

	"github.com/sagemaker-mlops-cdk/mlops/constructs/monitoring"
)

// Registry is the part of the SageMaker API the lookup calls; *sagemaker.Client
// satisfies it.
type Registry interface {
	DescribeModelPackage(ctx context.Context, in *sagemaker.DescribeModelPackageInput, opts ...func(*sagemaker.Options)) (*sagemaker.DescribeModelPackageOutput, error)
}

// Objects is the part of the S3 API the lookup calls; *s3.Client satisfies it.
type Objects interface {
	GetObject(ctx context.Context, in *s3.GetObjectInput, opts ...func(*s3.Options)) (*s3.GetObjectOutput, error)
}

// Found is the outcome of Of.
type Found struct {
	// Baseline is the version's data-quality baseline; nil when it has none.
	Baseline *monitoring.Baseline
	// Source says where the baseline comes from, or why there is none.
	Source string
}

// Of finds the data-quality baseline of the model version arn.
func Of(ctx context.Context, sm Registry, objects Objects, arn string) (Found, error) {
	pkg, err := sm.DescribeModelPackage(ctx, &sagemaker.DescribeModelPackageInput{ModelPackageName: aws.String(arn)})
	if err != nil {
		return Found{}, fmt.Errorf("describe model package %s: %w", arn, err)
	}
	var statistics, constraints *types.MetricsSource
	source := "DriftCheckBaselines"
	if d := pkg.DriftCheckBaselines; d != nil && d.ModelDataQuality != nil && d.ModelDataQuality.Constraints != nil && d.ModelDataQuality.Statistics != nil {
		statistics, constraints = d.ModelDataQuality.Statistics, d.ModelDataQuality.Constraints
	} else if m := pkg.ModelMetrics; m != nil && m.ModelDataQuality != nil && m.ModelDataQuality.Constraints != nil && m.ModelDataQuality.Statistics != nil {
		statistics, constraints, source = m.ModelDataQuality.Statistics, m.ModelDataQuality.Constraints, "ModelMetrics"
	} else {
		return Found{Source: "model package " + arn + " records no data-quality baseline (neither DriftCheckBaselines nor ModelMetrics ModelDataQuality)"}, nil
	}
	b := &monitoring.Baseline{StatisticsURI: aws.ToString(statistics.S3Uri), ConstraintsURI: aws.ToString(constraints.S3Uri)}
	if err := readConstraints(ctx, objects, b); err != nil {
		return Found{}, err
	}
	return Found{Baseline: b, Source: fmt.Sprintf("the data-quality baseline of its %s, %s (%d features)", source, b.ConstraintsURI, len(b.Features))}, nil
}

// constraints is the part of Model Monitor's constraints.json the monitoring uses.
type constraints struct {
	Features []struct {
		Name string `json:"name"`
	} `json:"features"`
	MonitoringConfig struct {
		DistributionConstraints struct {
			ComparisonThreshold *float64 `json:"comparison_threshold"`
		} `json:"distribution_constraints"`
	} `json:"monitoring_config"`
}

// readConstraints fills in the features and the drift threshold of b from its
// constraints file.
func readConstraints(ctx context.Context, objects Objects, b *monitoring.Baseline) error {
	bucket, key, ok := strings.Cut(strings.TrimPrefix(b.ConstraintsURI, "s3://"), "/")
	if !strings.HasPrefix(b.ConstraintsURI, "s3://") || !ok {
		return fmt.Errorf("the baseline's constraints %q are not an s3:// object", b.ConstraintsURI)
	}
	out, err := objects.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String(key)})
	if err != nil {
		return fmt.Errorf("read the baseline's constraints %s: %w", b.ConstraintsURI, err)
	}
	defer out.Body.Close()
	data, err := io.ReadAll(out.Body)
	if err != nil {
		return fmt.Errorf("read the baseline's constraints %s: %w", b.ConstraintsURI, err)
	}
	var c constraints
	if err := json.Unmarshal(data, &c); err != nil {
		return fmt.Errorf("the baseline's constraints %s are not Model Monitor's constraints JSON: %v", b.ConstraintsURI, err)
	}
	for _, f := range c.Features {
		b.Features = append(b.Features, f.Name)
	}
	if len(b.Features) == 0 {
		return fmt.Errorf("the baseline's constraints %s list no features", b.ConstraintsURI)
	}
	if t := c.MonitoringConfig.DistributionConstraints.ComparisonThreshold; t != nil {
		b.DriftThreshold = *t
	}
	return nil
}
