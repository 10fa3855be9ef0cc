package activities

import (
	"context"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
)

// AccountConcurrency is a region's Lambda concurrency quota and what is left unreserved of it.
type AccountConcurrency struct {
	Region     string `json:"region"`
	Limit      int32  `json:"limit"`
	Unreserved int32  `json:"unreserved"`
}

// RegionRef names a region.
type RegionRef struct {
	Region string `json:"region"`
}

// GetAccountConcurrency reads lambda:GetAccountSettings in a region: the plan evaluation compares the DR
// region's quota with what the primary's functions reserve.
func (a *Activities) GetAccountConcurrency(ctx context.Context, in RegionRef) (AccountConcurrency, error) {
	out, err := a.AWS.Lambda(in.Region).GetAccountSettings(ctx, &lambda.GetAccountSettingsInput{})
	if err != nil {
		return AccountConcurrency{}, classify(err, "lambda:GetAccountSettings", "account settings", in.Region)
	}
	res := AccountConcurrency{Region: in.Region}
	if l := out.AccountLimit; l != nil {
		res.Limit, res.Unreserved = l.ConcurrentExecutions, aws.ToInt32(l.UnreservedConcurrentExecutions)
	}
	return res, nil
}
