package baseline_test

import (
	"context"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/sagemaker"
	"github.com/aws/aws-sdk-go-v2/service/sagemaker/types"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"modeldeploy/internal/baseline"
	"modeldeploy/internal/motoserver"
)

func TestMain(m *testing.M) { motoserver.Main(m) }

const (
	group  = "abalone-p-baseline01"
	bucket = "sagemaker-project-p-baseline01"
)

// constraintsJSON is the start of a constraints file as Model Monitor's analyzer
// writes it for three columns of a headerless CSV.
const constraintsJSON = `{"version": 0.0, "features": [
  {"name": "_c0", "inferred_type": "Fractional", "completeness": 1.0, "num_constraints": {"is_non_negative": false}},
  {"name": "_c1", "inferred_type": "Fractional", "completeness": 1.0},
  {"name": "_c2", "inferred_type": "Integral", "completeness": 1.0}],
 "monitoring_config": {"evaluate_constraints": "Enabled", "emit_metrics": "Enabled", "datatype_check_threshold": 1.0,
  "distribution_constraints": {"perform_comparison": "Enabled", "comparison_threshold": 0.2, "comparison_method": "Robust"}}}`

type fixture struct {
	t  *testing.T
	sm *sagemaker.Client
	s3 *s3.Client
}

func newFixture(t *testing.T) fixture {
	cfg := motoserver.Shared(t).Config(t)
	f := fixture{t: t, sm: sagemaker.NewFromConfig(cfg), s3: s3.NewFromConfig(cfg, func(o *s3.Options) { o.UsePathStyle = true })}
	ctx := context.Background()
	if _, err := f.sm.DescribeModelPackageGroup(ctx, &sagemaker.DescribeModelPackageGroupInput{ModelPackageGroupName: aws.String(group)}); err != nil {
		_, err := f.sm.CreateModelPackageGroup(ctx, &sagemaker.CreateModelPackageGroupInput{ModelPackageGroupName: aws.String(group)})
		require.NoError(t, err)
		_, err = f.s3.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String(bucket)})
		require.NoError(t, err)
	}
	return f
}

func (f fixture) put(key, body string) string {
	_, err := f.s3.PutObject(context.Background(), &s3.PutObjectInput{Bucket: aws.String(bucket), Key: aws.String(key), Body: strings.NewReader(body)})
	require.NoError(f.t, err)
	return "s3://" + bucket + "/" + key
}

func source(uri string) *types.MetricsSource {
	return &types.MetricsSource{ContentType: aws.String("application/json"), S3Uri: aws.String(uri)}
}

func (f fixture) register(drift *types.DriftCheckBaselines, metrics *types.ModelMetrics) string {
	out, err := f.sm.CreateModelPackage(context.Background(), &sagemaker.CreateModelPackageInput{
		ModelPackageGroupName: aws.String(group),
		ModelApprovalStatus:   types.ModelApprovalStatusApproved,
		InferenceSpecification: &types.InferenceSpecification{
			Containers:                 []types.ModelPackageContainerDefinition{{Image: aws.String("683313688378.dkr.ecr.us-east-1.amazonaws.com/sagemaker-xgboost:3.2-0"), ModelDataUrl: aws.String("s3://" + bucket + "/model.tar.gz")}},
			SupportedContentTypes:      []string{"text/csv"},
			SupportedResponseMIMETypes: []string{"text/csv"},
		},
		DriftCheckBaselines: drift,
		ModelMetrics:        metrics,
	})
	require.NoError(f.t, err)
	return *out.ModelPackageArn
}

func TestTheDriftCheckBaselineComesFirstWithItsFeaturesAndThreshold(t *testing.T) {
	f := newFixture(t)
	checked := f.put("abalone/exec1/CheckDataQualityAbalone/output/constraints.json", constraintsJSON)
	computed := f.put("abalone/exec2/CheckDataQualityAbalone/output/constraints.json", constraintsJSON)
	arn := f.register(
		&types.DriftCheckBaselines{ModelDataQuality: &types.DriftCheckModelDataQuality{Statistics: source("s3://" + bucket + "/abalone/exec1/statistics.json"), Constraints: source(checked)}},
		&types.ModelMetrics{ModelDataQuality: &types.ModelDataQuality{Statistics: source("s3://" + bucket + "/abalone/exec2/statistics.json"), Constraints: source(computed)}},
	)
	found, err := baseline.Of(context.Background(), f.sm, f.s3, arn)
	require.NoError(t, err)
	require.NotNil(t, found.Baseline)
	assert.Equal(t, "s3://"+bucket+"/abalone/exec1/statistics.json", found.Baseline.StatisticsURI)
	assert.Equal(t, checked, found.Baseline.ConstraintsURI)
	assert.Equal(t, []string{"_c0", "_c1", "_c2"}, found.Baseline.Features)
	assert.Equal(t, 0.2, found.Baseline.DriftThreshold)
	assert.Equal(t, "the data-quality baseline of its DriftCheckBaselines, "+checked+" (3 features)", found.Source)
}

func TestModelMetricsAreTheFallbackAndNoBaselineIsSaid(t *testing.T) {
	f := newFixture(t)
	computed := f.put("abalone/exec3/CheckDataQualityAbalone/output/constraints.json", `{"features": [{"name": "_c0"}]}`)
	arn := f.register(nil, &types.ModelMetrics{ModelDataQuality: &types.ModelDataQuality{Statistics: source("s3://" + bucket + "/abalone/exec3/statistics.json"), Constraints: source(computed)}})
	found, err := baseline.Of(context.Background(), f.sm, f.s3, arn)
	require.NoError(t, err)
	assert.Equal(t, computed, found.Baseline.ConstraintsURI)
	assert.Equal(t, 0.0, found.Baseline.DriftThreshold, "the analyzer's default applies")
	assert.Contains(t, found.Source, "its ModelMetrics")

	bare := f.register(nil, nil)
	found, err = baseline.Of(context.Background(), f.sm, f.s3, bare)
	require.NoError(t, err)
	assert.Nil(t, found.Baseline)
	assert.Equal(t, "model package "+bare+" records no data-quality baseline (neither DriftCheckBaselines nor ModelMetrics ModelDataQuality)", found.Source)
}

func TestAnUnreadableOrEmptyConstraintsFileFailsTheBuildNamingIt(t *testing.T) {
	f := newFixture(t)
	missing := "s3://" + bucket + "/abalone/nowhere/constraints.json"
	empty := f.put("abalone/exec4/constraints.json", `{"features": []}`)
	garbled := f.put("abalone/exec5/constraints.json", `not json`)
	for uri, want := range map[string]string{
		missing: "read the baseline's constraints " + missing,
		empty:   "the baseline's constraints " + empty + " list no features",
		garbled: "the baseline's constraints " + garbled + " are not Model Monitor's constraints JSON",
	} {
		arn := f.register(&types.DriftCheckBaselines{ModelDataQuality: &types.DriftCheckModelDataQuality{Statistics: source(uri), Constraints: source(uri)}}, nil)
		_, err := baseline.Of(context.Background(), f.sm, f.s3, arn)
		require.Error(t, err, uri)
		assert.Contains(t, err.Error(), want)
	}
}
