package activities

import (
	"context"
	"fmt"
	"strconv"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/apigateway"
	"github.com/aws/aws-sdk-go-v2/service/apigateway/types"
)

// APIStageRef names a REST API stage in a region.
type APIStageRef struct {
	Region    string `json:"region"`
	RestAPIID string `json:"restApiId"`
	Stage     string `json:"stage"`
}

// allMethods is the methodSettings key, and patch path prefix, that covers every method of a stage.
const allMethods = "*/*"

// StageThrottle is the all-methods throttling of a stage.
type StageThrottle struct {
	// Set is false when the stage has no all-methods setting, so the account-level limits apply.
	Set        bool    `json:"set"`
	RateLimit  float64 `json:"rateLimit"`
	BurstLimit int32   `json:"burstLimit"`
}

func (t StageThrottle) String() string {
	if !t.Set {
		return "account default (no */* setting)"
	}
	return fmt.Sprintf("rate %s/s burst %d", strconv.FormatFloat(t.RateLimit, 'f', -1, 64), t.BurstLimit)
}

func (a *Activities) stageThrottle(ctx context.Context, in APIStageRef) (StageThrottle, error) {
	out, err := a.AWS.APIGateway(in.Region).GetStage(ctx, &apigateway.GetStageInput{RestApiId: aws.String(in.RestAPIID), StageName: aws.String(in.Stage)})
	if err != nil {
		return StageThrottle{}, classify(err, "apigateway:GetStage", in.RestAPIID+"/"+in.Stage, in.Region)
	}
	ms, ok := out.MethodSettings[allMethods]
	if !ok {
		return StageThrottle{}, nil
	}
	return StageThrottle{Set: true, RateLimit: ms.ThrottlingRateLimit, BurstLimit: ms.ThrottlingBurstLimit}, nil
}

// GetStageThrottling reads the stage's all-methods throttling, so it can be put back exactly later.
func (a *Activities) GetStageThrottling(ctx context.Context, in APIStageRef) (StageThrottle, error) {
	return a.stageThrottle(ctx, in)
}

// StageThrottleChange sets a stage's all-methods throttling to Target; a Target that is not Set removes
// the all-methods setting (the state before a write stop on a stage that had none).
type StageThrottleChange struct {
	APIStageRef
	Target StageThrottle `json:"target"`
}

// StageThrottleResult says what SetStageThrottling found and whether it changed it.
type StageThrottleResult struct {
	Previous StageThrottle `json:"previous"`
	Changed  bool          `json:"changed"`
}

// SetStageThrottling patches /*/*/throttling/rateLimit and /burstLimit (the runbook's /throttle/rateLimit
// is not a path API Gateway accepts). It reads the stage first and makes no call when it already matches.
func (a *Activities) SetStageThrottling(ctx context.Context, in StageThrottleChange) (StageThrottleResult, error) {
	cur, err := a.stageThrottle(ctx, in.APIStageRef)
	if err != nil {
		return StageThrottleResult{}, err
	}
	res := StageThrottleResult{Previous: cur}
	if cur == in.Target || (!cur.Set && !in.Target.Set) {
		return res, nil
	}
	var ops []types.PatchOperation
	if in.Target.Set {
		ops = []types.PatchOperation{
			{Op: types.OpReplace, Path: aws.String("/*/*/throttling/rateLimit"), Value: aws.String(strconv.FormatFloat(in.Target.RateLimit, 'f', -1, 64))},
			{Op: types.OpReplace, Path: aws.String("/*/*/throttling/burstLimit"), Value: aws.String(strconv.Itoa(int(in.Target.BurstLimit)))},
		}
	} else {
		ops = []types.PatchOperation{{Op: types.OpRemove, Path: aws.String("/*/*")}}
	}
	_, err = a.AWS.APIGateway(in.Region).UpdateStage(ctx, &apigateway.UpdateStageInput{RestApiId: aws.String(in.RestAPIID), StageName: aws.String(in.Stage), PatchOperations: ops})
	if err != nil {
		return res, classify(err, "apigateway:UpdateStage", in.RestAPIID+"/"+in.Stage, in.Region)
	}
	res.Changed = true
	return res, nil
}
