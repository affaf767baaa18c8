package monitoring

import (
	"fmt"
	"regexp"
	"strconv"
)

// The rules below check one monitoring setting each. They return what is allowed,
// without naming the setting, so that both the construct's props and the app's
// configuration keys report them under their own names.

// The schedules SageMaker Model Monitor accepts (API reference, ScheduleConfig): every
// hour, daily at an hour, or every few hours from an hour; all in UTC.
var (
	hourly        = regexp.MustCompile(`^cron\(0 \* \? \* \* \*\)$`)
	daily         = regexp.MustCompile(`^cron\(0 ([0-9]{1,2}) \? \* \* \*\)$`)
	everyFewHours = regexp.MustCompile(`^cron\(0 ([0-9]{1,2})/([0-9]{1,2}) \? \* \* \*\)$`)
)

// ScheduleInterval returns how many seconds apart the runs of schedule start, or why
// SageMaker rejects it.
func ScheduleInterval(schedule string) (int, error) {
	if hourly.MatchString(schedule) {
		return 3600, nil
	}
	if m := daily.FindStringSubmatch(schedule); m != nil {
		if h, _ := strconv.Atoi(m[1]); h <= 23 {
			return 24 * 3600, nil
		}
	}
	if m := everyFewHours.FindStringSubmatch(schedule); m != nil {
		h, _ := strconv.Atoi(m[1])
		n, _ := strconv.Atoi(m[2])
		if h <= 23 && n >= 1 && n <= 24 {
			return n * 3600, nil
		}
	}
	return 0, fmt.Errorf("must be a schedule SageMaker Model Monitor runs: hourly %q, daily at hour H (0-23, UTC) \"cron(0 H ? * * *)\", or every N hours (1-24) from hour H \"cron(0 H/N ? * * *)\"", DefaultSchedule)
}

// CheckSchedule says why SageMaker rejects schedule, or returns nil.
func CheckSchedule(schedule string) error {
	_, err := ScheduleInterval(schedule)
	return err
}

// CheckMaxRuntime says why a monitoring job of schedule may not run for seconds, or
// returns nil: at least a minute, and less than the schedule's interval, up to an hour
// for hourly runs (SageMaker's limit) and a day at most.
func CheckMaxRuntime(seconds int, schedule string) error {
	limit := 24 * 3600
	if interval, err := ScheduleInterval(schedule); err == nil && interval < limit {
		limit = interval
	}
	if seconds < 60 || seconds > limit {
		return fmt.Errorf("must be 60 to %d seconds for the schedule %q: a run must end before the next one starts", limit, schedule)
	}
	return nil
}

var instanceTypePattern = regexp.MustCompile(`^ml\.[a-z0-9]+\.[a-z0-9]+$`)

// CheckInstanceType says why t is not an instance type a monitoring job runs on, or
// returns nil.
func CheckInstanceType(t string) error {
	if !instanceTypePattern.MatchString(t) {
		return fmt.Errorf("must be a SageMaker processing instance type such as %s", DefaultInstanceType)
	}
	return nil
}
