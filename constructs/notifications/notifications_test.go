package notifications_test

import (
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awskms"
	"github.com/aws/jsii-runtime-go"
	"github.com/stretchr/testify/assert"

	"github.com/sagemaker-mlops-cdk/mlops/constructs/notifications"
	"github.com/sagemaker-mlops-cdk/mlops/constructs/project"
	"github.com/sagemaker-mlops-cdk/mlops/internal/testutil"
)

func TestMain(m *testing.M) { testutil.Main(m) }

func TestInvalidPropsPanicNamingTheProp(t *testing.T) {
	stack := awscdk.NewStack(testutil.NewApp(t, "", nil), jsii.String("Invalid"), nil)
	key := awskms.NewKey(stack, jsii.String("Key"), nil)
	assert.PanicsWithValue(t, "invalid notifications:\n  NotificationsProps.Key is required: the topic is encrypted with the project's key\n  NotificationsProps.Emails: \"x\" is not an email address: give addresses such as ml-team@example.com, separated by commas", func() {
		notifications.NewNotifications(stack, "NoKey", &notifications.NotificationsProps{Project: project.Identity{Name: "churn", ID: "p-churn0001"}, Emails: []string{"x"}})
	})
	assert.Panics(t, func() {
		notifications.NewNotifications(stack, "BadProject", &notifications.NotificationsProps{Project: project.Identity{Name: "9lives", ID: "p-x"}, Key: key})
	})
}
