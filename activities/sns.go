package activities

import (
	"context"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sns"
)

type PublishInput struct {
	Region   string `json:"region"`
	TopicARN string `json:"topicArn"`
	Subject  string `json:"subject"`
	Message  string `json:"message"`
}

type PublishResult struct {
	MessageID string `json:"messageId"`
}

// Publish sends one message to an SNS topic. SNS has no idempotency token for standard topics, so a retried
// attempt may page twice; paging twice is better than not paging.
func (a *Activities) Publish(ctx context.Context, in PublishInput) (PublishResult, error) {
	subject := in.Subject
	if len(subject) > 100 {
		subject = subject[:100] // SNS refuses subjects over 100 characters
	}
	out, err := a.AWS.SNS(in.Region).Publish(ctx, &sns.PublishInput{TopicArn: aws.String(in.TopicARN), Subject: aws.String(subject), Message: aws.String(in.Message)})
	if err != nil {
		return PublishResult{}, classify(err, "sns:Publish", in.TopicARN, in.Region)
	}
	return PublishResult{MessageID: aws.ToString(out.MessageId)}, nil
}
