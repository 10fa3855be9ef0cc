package activities

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/smithy-go"
)

// ConcurrencyRef names a Lambda function in a region.
type ConcurrencyRef struct {
	Region   string `json:"region"`
	Function string `json:"function"`
}

// Concurrency is a function's reserved concurrency; Reserved is nil when the function has none (it then
// draws from the account's unreserved pool), which is a different setting from 0 (the function is off).
type Concurrency struct {
	Function string `json:"function"`
	Region   string `json:"region"`
	Reserved *int32 `json:"reserved"`
}

// String renders the setting as an operator reads it.
func (c Concurrency) String() string { return reservedString(c.Reserved) }

func reservedString(r *int32) string {
	if r == nil {
		return "none"
	}
	return fmt.Sprint(*r)
}

// ConcurrencyChange sets a function's reserved concurrency to Reserved, or removes it when Reserved is nil.
type ConcurrencyChange struct {
	Region   string `json:"region"`
	Function string `json:"function"`
	Reserved *int32 `json:"reserved"`
}

// ConcurrencyResult says what the function had before and whether a call changed it.
type ConcurrencyResult struct {
	Function string `json:"function"`
	Region   string `json:"region"`
	Previous *int32 `json:"previous"`
	Current  *int32 `json:"current"`
	Changed  bool   `json:"changed"`
}

// GetFunctionConcurrency reads a function's reserved concurrency.
func (a *Activities) GetFunctionConcurrency(ctx context.Context, in ConcurrencyRef) (Concurrency, error) {
	out, err := a.AWS.Lambda(in.Region).GetFunctionConcurrency(ctx, &lambda.GetFunctionConcurrencyInput{FunctionName: aws.String(in.Function)})
	if err != nil {
		return Concurrency{}, classify(err, "lambda:GetFunctionConcurrency", in.Function, in.Region)
	}
	return Concurrency{Function: in.Function, Region: in.Region, Reserved: out.ReservedConcurrentExecutions}, nil
}

// PutFunctionConcurrency reserves concurrency for a function, doing nothing when it already has exactly
// that. AWS refuses a reservation that would leave the account's unreserved pool below its floor; the
// error then says how much this function could have and what to change.
func (a *Activities) PutFunctionConcurrency(ctx context.Context, in ConcurrencyChange) (ConcurrencyResult, error) {
	if in.Reserved == nil {
		return a.DeleteFunctionConcurrency(ctx, ConcurrencyRef{Region: in.Region, Function: in.Function})
	}
	cur, err := a.GetFunctionConcurrency(ctx, ConcurrencyRef{Region: in.Region, Function: in.Function})
	if err != nil {
		return ConcurrencyResult{}, err
	}
	res := ConcurrencyResult{Function: in.Function, Region: in.Region, Previous: cur.Reserved, Current: cur.Reserved}
	if cur.Reserved != nil && *cur.Reserved == *in.Reserved {
		return res, nil
	}
	out, err := a.AWS.Lambda(in.Region).PutFunctionConcurrency(ctx, &lambda.PutFunctionConcurrencyInput{
		FunctionName: aws.String(in.Function), ReservedConcurrentExecutions: in.Reserved})
	if err != nil {
		var ae smithy.APIError
		if errors.As(err, &ae) && ae.ErrorCode() == "InvalidParameterValueException" && strings.Contains(ae.ErrorMessage(), "UnreservedConcurrentExecution") {
			return res, a.unreservedRefusal(ctx, in, cur.Reserved, ae)
		}
		return res, classify(err, "lambda:PutFunctionConcurrency", in.Function, in.Region)
	}
	res.Current, res.Changed = out.ReservedConcurrentExecutions, true
	return res, nil
}

// unreservedRefusal explains AWS's unreserved-floor refusal with the account's figures, read at the moment
// of the refusal, so the operator knows the largest value that would have passed.
func (a *Activities) unreservedRefusal(ctx context.Context, in ConcurrencyChange, cur *int32, ae smithy.APIError) error {
	msg := fmt.Sprintf("lambda:PutFunctionConcurrency %s in %s: AWS refused reserved concurrency %d (%s: %s)",
		in.Function, in.Region, *in.Reserved, ae.ErrorCode(), ae.ErrorMessage())
	if out, err := a.AWS.Lambda(in.Region).GetAccountSettings(ctx, &lambda.GetAccountSettingsInput{}); err == nil && out.AccountLimit != nil {
		unreserved := aws.ToInt32(out.AccountLimit.UnreservedConcurrentExecutions)
		// The function's own current reservation returns to the pool when it is replaced.
		avail := unreserved
		if cur != nil {
			avail += *cur
		}
		floor := unreservedFloor(ae.ErrorMessage())
		msg += fmt.Sprintf(". The account's concurrency limit in %s is %d with %d unreserved; AWS keeps %d unreserved, so %s can reserve at most %d",
			in.Region, out.AccountLimit.ConcurrentExecutions, unreserved, floor, in.Function, max(avail-floor, 0))
	}
	msg += ". Lower degradation.reservedConcurrency (or the request's reservedConcurrency), release reservations of other functions, or raise the account's Lambda concurrent-executions quota (Service Quotas L-B99A9384) and retry"
	return refuse(ae.ErrorCode(), "%s", msg)
}

var floorRE = regexp.MustCompile(`minimum value of \[(\d+)\]`)

// unreservedFloor reads the pool's floor from AWS's message; 100 is the documented value when absent.
func unreservedFloor(msg string) int32 {
	if m := floorRE.FindStringSubmatch(msg); m != nil {
		if n, err := strconv.Atoi(m[1]); err == nil {
			return int32(n)
		}
	}
	return 100
}

// DeleteFunctionConcurrency removes a function's reserved concurrency (it goes back to the unreserved
// pool), doing nothing when it has none. This, not a Put, restores "no reserved concurrency".
func (a *Activities) DeleteFunctionConcurrency(ctx context.Context, in ConcurrencyRef) (ConcurrencyResult, error) {
	cur, err := a.GetFunctionConcurrency(ctx, in)
	if err != nil {
		return ConcurrencyResult{}, err
	}
	res := ConcurrencyResult{Function: in.Function, Region: in.Region, Previous: cur.Reserved}
	if cur.Reserved == nil {
		return res, nil
	}
	if _, err := a.AWS.Lambda(in.Region).DeleteFunctionConcurrency(ctx, &lambda.DeleteFunctionConcurrencyInput{FunctionName: aws.String(in.Function)}); err != nil {
		res.Current = cur.Reserved
		return res, classify(err, "lambda:DeleteFunctionConcurrency", in.Function, in.Region)
	}
	res.Changed = true
	return res, nil
}
