package awssim

import (
	"maps"
	"time"
)

// Lambda wire shapes: rest-json outputs built from the model as maps.

// lambdaTime is Lambda's LastModified format, a string unlike most AWS timestamps.
func lambdaTime(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05.000-0700") }

// lambdaConfig is a FunctionConfiguration. ListFunctions leaves out State and LastUpdateStatus, as AWS's
// does: callers that wait on an update must use GetFunction or GetFunctionConfiguration.
func lambdaConfig(fn *Function, withState bool) map[string]any {
	return lambdaConfigAs(fn, fn.ARN, withState)
}

// lambdaConfigAs is fn's configuration as read through arn: an alias-qualified read answers the alias's ARN
// with the version it points at.
func lambdaConfigAs(fn *Function, arn string, withState bool) map[string]any {
	timeout, memory := fn.Timeout, fn.MemorySize
	if timeout == 0 {
		timeout = 3
	}
	if memory == 0 {
		memory = 128
	}
	version := fn.Version
	if version == "" {
		version = "$LATEST"
	}
	out := map[string]any{
		"FunctionName": fn.Name, "FunctionArn": arn, "Runtime": fn.Runtime, "Handler": fn.Handler,
		"Description": fn.Description, "Timeout": timeout, "MemorySize": memory,
		"LastModified": lambdaTime(fn.LastModified), "Version": version, "RevisionId": fn.RevisionID, "PackageType": "Zip",
		"CodeSha256": fn.CodeSha256, "CodeSize": 1 << 20,
	}
	if len(fn.Env) > 0 {
		// A copy: the response is encoded after the lock is released.
		out["Environment"] = map[string]any{"Variables": maps.Clone(fn.Env)}
	}
	if withState {
		status := fn.LastUpdateStatus
		if status == "" {
			status = "Successful"
		}
		state := fn.State
		if state == "" {
			state = "Active"
		}
		out["State"], out["LastUpdateStatus"] = state, status
	}
	return out
}

// lambdaAliasOut is an AliasConfiguration.
func lambdaAliasOut(a *Alias) map[string]any {
	out := map[string]any{"AliasArn": a.ARN, "Name": a.Name, "FunctionVersion": a.FunctionVersion,
		"Description": a.Description, "RevisionId": a.RevisionID}
	if len(a.Weights) > 0 {
		out["RoutingConfig"] = map[string]any{"AdditionalVersionWeights": maps.Clone(a.Weights)}
	}
	return out
}
