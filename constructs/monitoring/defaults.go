package monitoring

// Defaults of DataQualityMonitorProps.
const (
	// DefaultSchedule runs the job every hour, as SageMaker's monitoring template does.
	DefaultSchedule = "cron(0 * ? * * *)"
	// DefaultInstanceType is the instance the job runs on, as in SageMaker's samples.
	DefaultInstanceType = "ml.m5.xlarge"
	// DefaultMaxRuntimeSeconds is the longest a run may take: an hour, the most an
	// hourly schedule allows.
	DefaultMaxRuntimeSeconds = 3600
	// DefaultVolumeSizeGB is the job's storage volume.
	DefaultVolumeSizeGB = 20
	// DefaultDriftThreshold is the distance between a feature's distributions (in the
	// baseline and in the captured data) above which Model Monitor reports a violation,
	// its default comparison_threshold.
	DefaultDriftThreshold = 0.1
)
