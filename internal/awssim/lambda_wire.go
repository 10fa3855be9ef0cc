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
	timeout, memory := fn.Timeout, fn.MemorySize
	if timeout == 0 {
		timeout = 3
	}
	if memory == 0 {
		memory = 128
	}
	out := map[string]any{
		"FunctionName": fn.Name, "FunctionArn": fn.ARN, "Runtime": fn.Runtime, "Handler": fn.Handler,
		"Description": fn.Description, "Timeout": timeout, "MemorySize": memory,
		"LastModified": lambdaTime(fn.LastModified), "Version": "$LATEST", "RevisionId": fn.RevisionID, "PackageType": "Zip",
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
		out["State"], out["LastUpdateStatus"] = "Active", status
	}
	return out
}
