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
// attempt may page twice; paging twice is better than not paging. Subject and message are fitted to
// SNS's limits (limits.go) rather than refused.
func (a *Activities) Publish(ctx context.Context, in PublishInput) (PublishResult, error) {
	req := &sns.PublishInput{TopicArn: aws.String(in.TopicARN), Message: aws.String(snsMessage(in.Message))}
	if subject := snsSubject(in.Subject); subject != "" {
		// Sent only when there is one: an empty Subject is not "no subject" to SNS.
		req.Subject = aws.String(subject)
	}
	out, err := a.AWS.SNS(in.Region).Publish(ctx, req)
	if err != nil {
		return PublishResult{}, classify(err, "sns:Publish", in.TopicARN, in.Region)
	}
	return PublishResult{MessageID: aws.ToString(out.MessageId)}, nil
}
