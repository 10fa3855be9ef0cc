package awssim

import (
	"context"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	"github.com/stretchr/testify/require"
)

const testTopicARN = "arn:aws:sns:us-east-1:123456789012:roadcall-prod-alarms"

func TestSNSPublishThroughSDK(t *testing.T) {
	sim, f, _ := start(t, Options{})
	ctx := context.Background()
	c := f.SNS("us-east-1")
	out, err := c.Publish(ctx, &sns.PublishInput{TopicArn: aws.String(testTopicARN), Subject: aws.String("DR Event: drill"), Message: aws.String("failover started")})
	require.NoError(t, err)
	require.Regexp(t, `^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$`, aws.ToString(out.MessageId))
	second, err := c.Publish(ctx, &sns.PublishInput{TopicArn: aws.String(testTopicARN), Message: aws.String("failover started")})
	require.NoError(t, err)
	require.NotEqual(t, aws.ToString(out.MessageId), aws.ToString(second.MessageId))
	sim.With(func(w *World) {
		msgs := w.Regions["us-east-1"].Topics["roadcall-prod-alarms"].Messages
		require.Len(t, msgs, 2)
		require.Equal(t, Message{ID: aws.ToString(out.MessageId), Subject: "DR Event: drill", Body: "failover started", At: msgs[0].At}, *msgs[0])
		require.Empty(t, w.Regions["us-west-2"].Topics["roadcall-prod-alarms"].Messages, "topics are regional")
	})
	require.Equal(t, []string{testTopicARN + ":changed", testTopicARN + ":changed"}, calls(sim, "Publish"), "every publish is a new message")

	_, err = c.Publish(ctx, &sns.PublishInput{TopicArn: aws.String("arn:aws:sns:us-east-1:123456789012:nope"), Message: aws.String("x")})
	require.Equal(t, "NotFound", apiCode(t, err))
	_, err = f.SNS("us-west-2").Publish(ctx, &sns.PublishInput{TopicArn: aws.String(testTopicARN), Message: aws.String("x")})
	require.Equal(t, "InvalidParameter", apiCode(t, err), "a topic of another region")
	_, err = c.Publish(ctx, &sns.PublishInput{TopicArn: aws.String(testTopicARN), Message: aws.String("")})
	require.Equal(t, "InvalidParameter", apiCode(t, err))
	_, err = c.Publish(ctx, &sns.PublishInput{TopicArn: aws.String(testTopicARN), Subject: aws.String("two\nlines"), Message: aws.String("x")})
	require.Equal(t, "InvalidParameter", apiCode(t, err))
}

func TestSNSTopicsAndSubscriptions(t *testing.T) {
	sim, f, _ := start(t, Options{})
	ctx := context.Background()
	c := f.SNS("us-west-2")
	created, err := c.CreateTopic(ctx, &sns.CreateTopicInput{Name: aws.String("roadcall-dr-status")})
	require.NoError(t, err)
	again, err := c.CreateTopic(ctx, &sns.CreateTopicInput{Name: aws.String("roadcall-dr-status")})
	require.NoError(t, err)
	require.Equal(t, aws.ToString(created.TopicArn), aws.ToString(again.TopicArn))
	require.Equal(t, "arn:aws:sns:us-west-2:123456789012:roadcall-dr-status", aws.ToString(created.TopicArn))
	arn := aws.ToString(created.TopicArn)
	require.Equal(t, []string{arn + ":changed", arn + ":unchanged"}, calls(sim, "CreateTopic"))
	_, err = c.CreateTopic(ctx, &sns.CreateTopicInput{Name: aws.String("bad name!")})
	require.Equal(t, "InvalidParameter", apiCode(t, err))

	topics, err := c.ListTopics(ctx, &sns.ListTopicsInput{})
	require.NoError(t, err)
	var arns []string
	for _, tp := range topics.Topics {
		arns = append(arns, aws.ToString(tp.TopicArn))
	}
	require.Equal(t, []string{arn, "arn:aws:sns:us-west-2:123456789012:roadcall-prod-alarms"}, arns)

	sub := &sns.SubscribeInput{TopicArn: aws.String(arn), Protocol: aws.String("email"), Endpoint: aws.String("oncall@roadcall.example.com")}
	s1, err := c.Subscribe(ctx, sub)
	require.NoError(t, err)
	require.Equal(t, "pending confirmation", aws.ToString(s1.SubscriptionArn))
	_, err = c.Subscribe(ctx, sub)
	require.NoError(t, err)
	require.Len(t, calls(sim, "Subscribe"), 2)
	require.Contains(t, calls(sim, "Subscribe")[1], ":unchanged")
	subs, err := c.ListSubscriptionsByTopic(ctx, &sns.ListSubscriptionsByTopicInput{TopicArn: aws.String(arn)})
	require.NoError(t, err)
	require.Len(t, subs.Subscriptions, 1)
	require.Equal(t, "PendingConfirmation", aws.ToString(subs.Subscriptions[0].SubscriptionArn))
	_, err = c.Subscribe(ctx, &sns.SubscribeInput{TopicArn: aws.String(arn), Protocol: aws.String("carrier-pigeon"), Endpoint: aws.String("x")})
	require.Equal(t, "InvalidParameter", apiCode(t, err))
}

func TestSNSRunbookThroughCLI(t *testing.T) {
	sim, _, url := start(t, Options{})
	out := awsCLI(t, url, "sns", "publish", "--topic-arn", testTopicARN, "--subject", "DR Event: region outage",
		"--message", "Disaster recovery event in progress. Details: us-east-1 unreachable", "--region", "us-east-1")
	require.NotEmpty(t, out["MessageId"])
	sim.With(func(w *World) {
		msgs := w.Regions["us-east-1"].Topics["roadcall-prod-alarms"].Messages
		require.Len(t, msgs, 1)
		require.Equal(t, out["MessageId"], msgs[0].ID)
		require.Equal(t, "DR Event: region outage", msgs[0].Subject)
	})
	out = awsCLI(t, url, "sns", "list-topics", "--region", "us-east-1")
	require.Equal(t, []any{map[string]any{"TopicArn": testTopicARN}}, out["Topics"])
	raw, err := awsCLIRaw(t, url, "sns", "publish", "--topic-arn", "arn:aws:sns:us-east-1:123456789012:nope", "--message", "x", "--region", "us-east-1")
	require.Error(t, err)
	require.Contains(t, string(raw), "NotFound")
}

// TestSNSPublishEnforcesTheModelsLimits: PublishInput in SNS's model (botocore's sns service-2.json): a
// Subject is "UTF-8 text with no line breaks or control characters, and less than 100 characters long"; a
// Message is UTF-8 of "at most 256 KB in size (262,144 bytes, not 262,144 characters)". AWS answers
// InvalidParameter.
func TestSNSPublishEnforcesTheModelsLimits(t *testing.T) {
	_, f, _ := start(t, Options{})
	ctx := context.Background()
	c := f.SNS("us-east-1")
	publish := func(subject, msg string) error {
		in := &sns.PublishInput{TopicArn: aws.String(testTopicARN), Message: aws.String(msg)}
		if subject != "" {
			in.Subject = aws.String(subject)
		}
		_, err := c.Publish(ctx, in)
		return err
	}
	require.NoError(t, publish(strings.Repeat("é", 99), "x"), "99 characters (198 bytes) of UTF-8 is a valid subject")
	require.Equal(t, "InvalidParameter", apiCode(t, publish(strings.Repeat("a", 100), "x")), "100 characters is not less than 100")
	require.Equal(t, "InvalidParameter", apiCode(t, publish("tab\there", "x")), "a control character")
	require.NoError(t, publish("", strings.Repeat("€", 262144/3)+"a"), "262,144 bytes")
	require.Equal(t, "InvalidParameter", apiCode(t, publish("", strings.Repeat("a", 262145))))
}
