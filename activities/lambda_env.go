package activities

import (
	"context"
	"errors"
	"maps"
	"slices"
	"sort"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/lambda/types"
	"github.com/aws/smithy-go"
)

// FunctionEnvRef names a Lambda function in a region.
type FunctionEnvRef struct {
	Region   string `json:"region"`
	Function string `json:"function"`
}

// FunctionEnvQuery asks about a function's environment without copying it into workflow history (variables
// may hold secrets): values only for the named Keys, and for each of Values the variables that hold it.
type FunctionEnvQuery struct {
	Region   string   `json:"region"`
	Function string   `json:"function"`
	Keys     []string `json:"keys,omitempty"`
	Values   []string `json:"values,omitempty"`
}

// FunctionEnv answers a FunctionEnvQuery.
type FunctionEnv struct {
	Function string `json:"function"`
	Region   string `json:"region"`
	// Keys holds the value of each asked key; nil means the variable is not set.
	Keys map[string]*string `json:"keys"`
	// Holders maps each asked value to the variables holding it, sorted; values no variable holds are absent.
	Holders          map[string][]string `json:"holders"`
	Variables        int                 `json:"variables"`
	RevisionID       string              `json:"revisionId"`
	LastUpdateStatus string              `json:"lastUpdateStatus"`
}

// EnvChange is a merge into a function's environment. Nothing outside Set, Unset and the variables whose
// value is a key of Replace is touched: the runbook's `--environment Variables={READ_ONLY_MODE=true}`
// replaces the whole map and would wipe every other variable, which this never does.
type EnvChange struct {
	Region   string            `json:"region"`
	Function string            `json:"function"`
	Set      map[string]string `json:"set,omitempty"`
	Unset    []string          `json:"unset,omitempty"`
	// Replace maps an old value to a new one: every variable holding the old value gets the new one.
	Replace map[string]string `json:"replace,omitempty"`
}

// EnvChangeResult says what a merge changed, by variable name only.
type EnvChangeResult struct {
	Function string `json:"function"`
	Region   string `json:"region"`
	Changed  bool   `json:"changed"`
	// Keys are the variables changed, sorted.
	Keys       []string `json:"keys,omitempty"`
	RevisionID string   `json:"revisionId"`
}

type functionConfig struct {
	env    map[string]string
	rev    string
	status types.LastUpdateStatus
	reason string
}

func (a *Activities) functionConfig(ctx context.Context, ref FunctionEnvRef) (functionConfig, error) {
	out, err := a.AWS.Lambda(ref.Region).GetFunctionConfiguration(ctx, &lambda.GetFunctionConfigurationInput{FunctionName: aws.String(ref.Function)})
	if err != nil {
		return functionConfig{}, classify(err, "lambda:GetFunctionConfiguration", ref.Function, ref.Region)
	}
	fc := functionConfig{env: map[string]string{}, rev: aws.ToString(out.RevisionId), status: out.LastUpdateStatus, reason: aws.ToString(out.LastUpdateStatusReason)}
	if out.Environment != nil {
		if out.Environment.Error != nil {
			return fc, refuse("EnvironmentError", "lambda:GetFunctionConfiguration %s in %s: the environment cannot be read (%s: %s); merging into it could lose variables",
				ref.Function, ref.Region, aws.ToString(out.Environment.Error.ErrorCode), aws.ToString(out.Environment.Error.Message))
		}
		maps.Copy(fc.env, out.Environment.Variables)
	}
	if fc.status == "" {
		fc.status = types.LastUpdateStatusSuccessful
	}
	return fc, nil
}

// GetFunctionEnvironment reads the whole environment and answers only what the query asks.
func (a *Activities) GetFunctionEnvironment(ctx context.Context, q FunctionEnvQuery) (FunctionEnv, error) {
	fc, err := a.functionConfig(ctx, FunctionEnvRef{Region: q.Region, Function: q.Function})
	if err != nil {
		return FunctionEnv{}, err
	}
	res := FunctionEnv{Function: q.Function, Region: q.Region, Keys: map[string]*string{}, Holders: map[string][]string{},
		Variables: len(fc.env), RevisionID: fc.rev, LastUpdateStatus: string(fc.status)}
	for _, k := range q.Keys {
		if v, ok := fc.env[k]; ok {
			res.Keys[k] = aws.String(v)
		} else {
			res.Keys[k] = nil
		}
	}
	for _, want := range q.Values {
		for _, k := range sortedNames(fc.env) {
			if fc.env[k] == want {
				res.Holders[want] = append(res.Holders[want], k)
			}
		}
	}
	return res, nil
}

// merge applies a change to env and returns the result and the names of the variables that changed.
func (in EnvChange) merge(env map[string]string) (map[string]string, []string) {
	next := maps.Clone(env)
	for k, v := range next {
		if nv, ok := in.Replace[v]; ok {
			next[k] = nv
		}
	}
	maps.Copy(next, in.Set)
	for _, k := range in.Unset {
		delete(next, k)
	}
	var changed []string
	for k, v := range next {
		if old, ok := env[k]; !ok || old != v {
			changed = append(changed, k)
		}
	}
	for k := range env {
		if _, ok := next[k]; !ok {
			changed = append(changed, k)
		}
	}
	sort.Strings(changed)
	return next, changed
}

// UpdateFunctionEnvironment reads the whole environment, merges the change in and writes it back with the
// RevisionId it read, so a concurrent edit is never overwritten: on PreconditionFailedException it reads
// again and re-merges. A merge that changes nothing makes no call. It does not wait for the update to
// finish (WaitFunctionUpdated does), but it waits for an update already in progress, which Lambda would
// refuse with ResourceConflictException.
func (a *Activities) UpdateFunctionEnvironment(ctx context.Context, in EnvChange) (EnvChangeResult, error) {
	ref := FunctionEnvRef{Region: in.Region, Function: in.Function}
	res := EnvChangeResult{Function: in.Function, Region: in.Region}
	for attempt := 1; ; attempt++ {
		var fc functionConfig
		if _, err := a.waitFor(ctx, func(ctx context.Context) (bool, string, error) {
			var err error
			fc, err = a.functionConfig(ctx, ref)
			return err == nil && fc.status != types.LastUpdateStatusInProgress, string(fc.status), err
		}); err != nil {
			return res, err
		}
		next, changed := in.merge(fc.env)
		res.RevisionID = fc.rev
		if len(changed) == 0 {
			return res, nil
		}
		out, err := a.AWS.Lambda(in.Region).UpdateFunctionConfiguration(ctx, &lambda.UpdateFunctionConfigurationInput{
			FunctionName: aws.String(in.Function), RevisionId: aws.String(fc.rev), Environment: &types.Environment{Variables: next},
		})
		var ae smithy.APIError
		if err != nil && errors.As(err, &ae) && ae.ErrorCode() == "PreconditionFailedException" && attempt < 5 {
			continue
		}
		if err != nil {
			return res, classify(err, "lambda:UpdateFunctionConfiguration", in.Function, in.Region)
		}
		res.Changed, res.Keys, res.RevisionID = true, changed, aws.ToString(out.RevisionId)
		return res, nil
	}
}

// FunctionUpdate is the outcome of WaitFunctionUpdated.
type FunctionUpdate struct {
	Function   string   `json:"function"`
	Region     string   `json:"region"`
	Status     string   `json:"status"`
	RevisionID string   `json:"revisionId"`
	Progress   Progress `json:"progress"`
}

// WaitFunctionUpdated waits until the function's last update is Successful; a Failed update is
// non-retryable with Lambda's reason, because retrying the wait cannot change it. The states are the SDK's
// FunctionUpdated waiter's.
func (a *Activities) WaitFunctionUpdated(ctx context.Context, ref FunctionEnvRef) (FunctionUpdate, error) {
	res := FunctionUpdate{Function: ref.Function, Region: ref.Region}
	p, err := a.waitFor(ctx, func(ctx context.Context) (bool, string, error) {
		fc, err := a.functionConfig(ctx, ref)
		if err != nil {
			return false, "", err
		}
		res.RevisionID = fc.rev
		switch functionUpdatedVerdict(ctx, fc.status) {
		case pollFailure:
			return false, string(fc.status), refuse("FunctionUpdateFailed", "lambda %s in %s: the last configuration update is %s (a failure state of the SDK's FunctionUpdated waiter): %s",
				ref.Function, ref.Region, fc.status, fc.reason)
		case pollSuccess:
			return true, string(fc.status), nil
		}
		return false, string(fc.status), nil
	})
	res.Status, res.Progress = p.LastSeen, p
	return res, err
}

func sortedNames[V any](m map[string]V) []string {
	return slices.Sorted(maps.Keys(m))
}
