package activities

import (
	"context"
	"errors"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudformation"
	"github.com/aws/smithy-go"
)

type StackRef struct {
	Region string `json:"region"`
	Stack  string `json:"stack"`
}

type StackInfo struct {
	Stack      string            `json:"stack"`
	Region     string            `json:"region"`
	Exists     bool              `json:"exists"`
	Status     string            `json:"status"`
	Parameters map[string]string `json:"parameters"`
}

// DescribeStack reads a stack's status and parameters; a missing stack is reported, not an error,
// because "the DR stack is missing" is an answer the readiness check needs.
func (a *Activities) DescribeStack(ctx context.Context, in StackRef) (StackInfo, error) {
	info := StackInfo{Stack: in.Stack, Region: in.Region, Parameters: map[string]string{}}
	out, err := a.AWS.CloudFormation(in.Region).DescribeStacks(ctx, &cloudformation.DescribeStacksInput{StackName: aws.String(in.Stack)})
	if err != nil {
		var ae smithy.APIError
		if errors.As(err, &ae) && ae.ErrorCode() == "ValidationError" && strings.Contains(ae.ErrorMessage(), "does not exist") {
			return info, nil
		}
		return info, classify(err, "cloudformation:DescribeStacks", in.Stack, in.Region)
	}
	if len(out.Stacks) == 0 {
		return info, nil
	}
	st := out.Stacks[0]
	info.Exists, info.Status = true, string(st.StackStatus)
	for _, p := range st.Parameters {
		info.Parameters[aws.ToString(p.ParameterKey)] = aws.ToString(p.ParameterValue)
	}
	return info, nil
}
