package awssim

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"regexp"
	"sort"
	"strconv"
	"strings"
)

// Lambda speaks rest-json, each operation under the API version path it was introduced with. Function
// configuration, reserved concurrency, published versions and aliases are modeled (lambda_versions.go);
// code and invocations are not.
func init() {
	register(&service{
		name: "lambda", protocol: restJSON{}, throttleCode: "TooManyRequestsException", throttleStatus: 429,
		ops: map[string]opFunc{
			"ListFunctions":               lambdaListFunctions,
			"GetFunction":                 lambdaGetFunction,
			"GetFunctionConfiguration":    lambdaGetFunctionConfiguration,
			"UpdateFunctionConfiguration": journaled(pathParam("FunctionName"), lambdaUpdateFunctionConfiguration),
			"PutFunctionConcurrency":      journaled(pathParam("FunctionName"), lambdaPutFunctionConcurrency),
			"GetFunctionConcurrency":      lambdaGetFunctionConcurrency,
			"DeleteFunctionConcurrency":   journaled(pathParam("FunctionName"), lambdaDeleteFunctionConcurrency),
			"GetAccountSettings":          lambdaGetAccountSettings,
			"PublishVersion":              journaled(pathParam("FunctionName"), lambdaPublishVersion),
			"ListVersionsByFunction":      lambdaListVersionsByFunction,
			"CreateAlias":                 journaled(pathParam("FunctionName"), lambdaCreateAlias),
			"UpdateAlias":                 journaled(pathParam("FunctionName"), lambdaUpdateAlias),
			"GetAlias":                    lambdaGetAlias,
			"ListAliases":                 lambdaListAliases,
		},
		routes: []route{
			// The Go SDK sends the list without a trailing slash; older clients send one.
			rest("GET", "/2015-03-31/functions", "ListFunctions"),
			rest("GET", "/2015-03-31/functions/", "ListFunctions"),
			rest("GET", "/2015-03-31/functions/{FunctionName}", "GetFunction"),
			rest("GET", "/2015-03-31/functions/{FunctionName}/configuration", "GetFunctionConfiguration"),
			rest("PUT", "/2015-03-31/functions/{FunctionName}/configuration", "UpdateFunctionConfiguration"),
			rest("PUT", "/2017-10-31/functions/{FunctionName}/concurrency", "PutFunctionConcurrency"),
			rest("GET", "/2019-09-30/functions/{FunctionName}/concurrency", "GetFunctionConcurrency"),
			rest("DELETE", "/2017-10-31/functions/{FunctionName}/concurrency", "DeleteFunctionConcurrency"),
			rest("GET", "/2016-08-19/account-settings", "GetAccountSettings"),
			rest("GET", "/2016-08-19/account-settings/", "GetAccountSettings"),
			rest("POST", "/2015-03-31/functions/{FunctionName}/versions", "PublishVersion"),
			rest("GET", "/2015-03-31/functions/{FunctionName}/versions", "ListVersionsByFunction"),
			rest("POST", "/2015-03-31/functions/{FunctionName}/aliases", "CreateAlias"),
			rest("GET", "/2015-03-31/functions/{FunctionName}/aliases", "ListAliases"),
			rest("GET", "/2015-03-31/functions/{FunctionName}/aliases/{Name}", "GetAlias"),
			rest("PUT", "/2015-03-31/functions/{FunctionName}/aliases/{Name}", "UpdateAlias"),
		},
		advance: lambdaAdvance,
	})
}

// lambdaRef parses a FunctionName as AWS accepts it: a name, name:qualifier, a partial ARN
// (account:function:name[:qualifier]) or a full ARN; a Qualifier query parameter wins over none in the name.
func lambdaRef(s *Server, c *Call, ref string) (region, acct, name, qual string) {
	region, acct, name, qual = c.Region, s.world.AccountID, ref, c.Req.URL.Query().Get("Qualifier")
	parts := strings.Split(ref, ":")
	switch {
	case len(parts) >= 7 && parts[0] == "arn" && parts[5] == "function":
		region, acct, name = parts[3], parts[4], parts[6]
		if len(parts) > 7 && qual == "" {
			qual = parts[7]
		}
	case len(parts) >= 3 && parts[1] == "function":
		acct, name = parts[0], parts[2]
		if len(parts) > 3 && qual == "" {
			qual = parts[3]
		}
	case len(parts) == 2:
		name = parts[0]
		if qual == "" {
			qual = parts[1]
		}
	}
	return region, acct, name, qual
}

// lambdaFunction resolves a FunctionName for the calls that act on the function itself ($LATEST): any other
// qualifier names nothing they can address.
func lambdaFunction(s *Server, c *Call, ref string) (*Function, error) {
	fn, cfg, arn, err := lambdaQualified(s, c, ref)
	if err != nil {
		return nil, err
	}
	if cfg != fn {
		return nil, Errf(404, "ResourceNotFoundException", "Function not found: %s", arn)
	}
	return fn, nil
}

// lambdaQualified resolves a FunctionName and its qualifier to the function ($LATEST), the configuration the
// qualifier names (a published version, an alias's version, or $LATEST itself) and the ARN it was read as.
func lambdaQualified(s *Server, c *Call, ref string) (fn, cfg *Function, arn string, err error) {
	region, acct, name, qual := lambdaRef(s, c, ref)
	arn = fmt.Sprintf("arn:aws:lambda:%s:%s:function:%s", region, acct, name)
	if qual != "" && qual != "$LATEST" {
		arn += ":" + qual
	}
	fn = s.world.Regions[c.Region].Functions[name]
	if fn != nil && region == c.Region && acct == s.world.AccountID {
		cfg = fn.resolve(qual)
	}
	if cfg == nil {
		return nil, nil, "", Errf(404, "ResourceNotFoundException", "Function not found: %s", arn)
	}
	if qual == "" || qual == "$LATEST" {
		arn = fn.ARN
	}
	return fn, cfg, arn, nil
}

func lambdaListFunctions(s *Server, c *Call) (any, error) {
	q := c.Req.URL.Query()
	names := SortedKeys(s.world.Regions[c.Region].Functions)
	if q.Get("MasterRegion") != "" {
		// MasterRegion selects Lambda@Edge replicas, and this world has none.
		names = nil
	}
	page := lambdaListPage
	if v := q.Get("MaxItems"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 10000 {
			return nil, Errf(400, "ValidationException", "1 validation error detected: Value '%s' at 'maxItems' failed to satisfy constraint: Member must have value between 1 and 10000", v)
		}
		page = min(page, n)
	}
	start := 0
	if m := q.Get("Marker"); m != "" {
		after, err := base64.RawURLEncoding.DecodeString(m)
		if err != nil {
			return nil, Errf(400, "InvalidParameterValueException", "Invalid Marker %q for ListFunctions in %s", m, c.Region)
		}
		start = sort.SearchStrings(names, string(after))
	}
	end := min(start+page, len(names))
	fns := make([]any, 0, end-start)
	for _, n := range names[start:end] {
		fns = append(fns, lambdaConfig(s.world.Regions[c.Region].Functions[n], false))
	}
	out := map[string]any{"Functions": fns}
	if end < len(names) {
		out["NextMarker"] = base64.RawURLEncoding.EncodeToString([]byte(names[end]))
	}
	return out, nil
}

func lambdaGetFunction(s *Server, c *Call) (any, error) {
	fn, cfg, arn, err := lambdaQualified(s, c, c.Path["FunctionName"])
	if err != nil {
		return nil, err
	}
	out := map[string]any{"Configuration": lambdaConfigAs(cfg, arn, true), "Code": map[string]any{"RepositoryType": "S3"}}
	if fn.ReservedConcurrency != nil {
		out["Concurrency"] = map[string]any{"ReservedConcurrentExecutions": *fn.ReservedConcurrency}
	}
	return out, nil
}

func lambdaGetFunctionConfiguration(s *Server, c *Call) (any, error) {
	_, cfg, arn, err := lambdaQualified(s, c, c.Path["FunctionName"])
	if err != nil {
		return nil, err
	}
	return lambdaConfigAs(cfg, arn, true), nil
}

var (
	lambdaEnvKeyRE = regexp.MustCompile(`^[a-zA-Z][a-zA-Z0-9_]+$`)
	// lambdaReservedEnv are the variables the Lambda runtime sets; AWS refuses to let a caller set them.
	lambdaReservedEnv = map[string]bool{
		"_HANDLER": true, "_X_AMZN_TRACE_ID": true, "AWS_DEFAULT_REGION": true, "AWS_REGION": true, "AWS_EXECUTION_ENV": true,
		"AWS_LAMBDA_FUNCTION_NAME": true, "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": true, "AWS_LAMBDA_FUNCTION_VERSION": true,
		"AWS_LAMBDA_INITIALIZATION_TYPE": true, "AWS_LAMBDA_LOG_GROUP_NAME": true, "AWS_LAMBDA_LOG_STREAM_NAME": true,
		"AWS_ACCESS_KEY": true, "AWS_ACCESS_KEY_ID": true, "AWS_SECRET_ACCESS_KEY": true, "AWS_SESSION_TOKEN": true,
		"AWS_LAMBDA_RUNTIME_API": true, "LAMBDA_TASK_ROOT": true, "LAMBDA_RUNTIME_DIR": true,
	}
	// lambdaModeledUpdate are the UpdateFunctionConfiguration members the world keeps.
	lambdaModeledUpdate = map[string]bool{"RevisionId": true, "Environment": true, "Handler": true, "Runtime": true,
		"Description": true, "Timeout": true, "MemorySize": true}
)

// lambdaEnvironment validates Environment.Variables as AWS does. Like AWS, the result REPLACES the function's
// whole map: a caller that wants to add one variable must read, merge and write back.
func lambdaEnvironment(in M) (map[string]string, error) {
	vars := map[string]string{}
	var reserved []string
	for k, v := range in.Map("Variables") {
		if !lambdaEnvKeyRE.MatchString(k) {
			return nil, Errf(400, "ValidationException", "1 validation error detected: Value at 'environment.variables' failed to satisfy constraint: Map keys must satisfy constraint: [Member must satisfy regular expression pattern: [a-zA-Z]([a-zA-Z0-9_])+]")
		}
		if lambdaReservedEnv[k] {
			reserved = append(reserved, k)
		}
		s, ok := v.(string)
		if !ok {
			return nil, Errf(400, "SerializationException", "Environment variable %s must be a string", k)
		}
		vars[k] = s
	}
	if len(reserved) > 0 {
		sort.Strings(reserved)
		return nil, Errf(400, "InvalidParameterValueException", "Lambda was unable to configure your environment variables because the environment variables you have provided contains reserved keys that are currently not supported for modification. Reserved keys used in this request: %s", strings.Join(reserved, ","))
	}
	if b, _ := json.Marshal(vars); len(b) > 4096 {
		return nil, Errf(400, "InvalidParameterValueException", "Lambda was unable to configure your environment variables because the environment variables you have provided exceeded the 4KB limit. String measured: %s", b)
	}
	return vars, nil
}

func lambdaIntIn(in M, key, member string, lo, hi int64) (int32, bool, error) {
	if !in.Has(key) {
		return 0, false, nil
	}
	n, ok := in.Int(key)
	if !ok || n < lo || n > hi {
		return 0, false, Errf(400, "ValidationException", "1 validation error detected: Value '%v' at '%s' failed to satisfy constraint: Member must have value between %d and %d", in[key], member, lo, hi)
	}
	return int32(n), true, nil
}

func lambdaUpdateFunctionConfiguration(s *Server, c *Call) (any, error) {
	fn, err := lambdaFunction(s, c, c.Path["FunctionName"])
	if err != nil {
		return nil, err
	}
	for _, k := range SortedKeys(c.Input) {
		if !lambdaModeledUpdate[k] {
			return nil, Errf(400, "InvalidParameterValueException", "awssim does not model %s in UpdateFunctionConfiguration (function %s)", k, fn.ARN)
		}
	}
	if rev := c.Input.Str("RevisionId"); rev != "" && rev != fn.RevisionID {
		return nil, Errf(412, "PreconditionFailedException", "The Revision Id provided does not match the latest Revision Id. Call the GetFunction/GetAlias API to retrieve the latest Revision Id")
	}
	if fn.LastUpdateStatus == "InProgress" {
		return nil, Errf(409, "ResourceConflictException", "The operation cannot be performed at this time. An update is in progress for resource: %s", fn.ARN)
	}
	// Validate everything before touching the function: a refused update changes nothing.
	next := *fn
	if c.Input.Has("Environment") {
		if next.Env, err = lambdaEnvironment(c.Input.Map("Environment")); err != nil {
			return nil, err
		}
	}
	for k, dst := range map[string]*string{"Handler": &next.Handler, "Runtime": &next.Runtime, "Description": &next.Description} {
		if c.Input.Has(k) {
			*dst = c.Input.Str(k)
		}
	}
	if v, ok, err := lambdaIntIn(c.Input, "Timeout", "timeout", 1, 900); err != nil {
		return nil, err
	} else if ok {
		next.Timeout = v
	}
	if v, ok, err := lambdaIntIn(c.Input, "MemorySize", "memorySize", 128, 10240); err != nil {
		return nil, err
	} else if ok {
		next.MemorySize = v
	}
	changes := lambdaDiff(fn, &next)
	if len(changes) == 0 {
		s.record(c, fn.ARN, false, "configuration already as requested")
		return lambdaConfig(fn, true), nil
	}
	fn.Env, fn.Handler, fn.Runtime, fn.Description = next.Env, next.Handler, next.Runtime, next.Description
	fn.Timeout, fn.MemorySize = next.Timeout, next.MemorySize
	fn.RevisionID = newRevision(fn.ARN, int(s.reqSeq))
	fn.LastUpdateStatus, fn.ReadyAt, fn.LastModified = "InProgress", s.after(s.durations.FunctionUpdate), c.Now
	s.record(c, fn.ARN, true, strings.Join(changes, "; "))
	return lambdaConfig(fn, true), nil
}

// lambdaDiff names what an update changes; environment values stay out of the journal (they may be secrets).
func lambdaDiff(a, b *Function) []string {
	var out []string
	for _, f := range []struct {
		name string
		x, y any
	}{{"Handler", a.Handler, b.Handler}, {"Runtime", a.Runtime, b.Runtime}, {"Description", a.Description, b.Description},
		{"Timeout", a.Timeout, b.Timeout}, {"MemorySize", a.MemorySize, b.MemorySize}} {
		if f.x != f.y {
			out = append(out, fmt.Sprintf("%s %v -> %v", f.name, f.x, f.y))
		}
	}
	var env []string
	for _, k := range SortedKeys(a.Env) {
		if v, ok := b.Env[k]; !ok {
			env = append(env, "-"+k)
		} else if v != a.Env[k] {
			env = append(env, "~"+k)
		}
	}
	for _, k := range SortedKeys(b.Env) {
		if _, ok := a.Env[k]; !ok {
			env = append(env, "+"+k)
		}
	}
	if len(env) > 0 {
		out = append(out, "environment "+strings.Join(env, " "))
	}
	return out
}

func lambdaPutFunctionConcurrency(s *Server, c *Call) (any, error) {
	fn, err := lambdaFunction(s, c, c.Path["FunctionName"])
	if err != nil {
		return nil, err
	}
	if !c.Input.Has("ReservedConcurrentExecutions") {
		return nil, Errf(400, "ValidationException", "1 validation error detected: Value null at 'reservedConcurrentExecutions' failed to satisfy constraint: Member must not be null")
	}
	n, ok := c.Input.Int("ReservedConcurrentExecutions")
	if !ok || n < 0 {
		return nil, Errf(400, "ValidationException", "1 validation error detected: Value '%v' at 'reservedConcurrentExecutions' failed to satisfy constraint: Member must have value greater than or equal to 0", c.Input["ReservedConcurrentExecutions"])
	}
	if lambdaAccountConcurrency-lambdaReserved(s.world.Regions[c.Region], fn.Name)-n < lambdaMinUnreserved {
		return nil, Errf(400, "InvalidParameterValueException", "Specified ReservedConcurrentExecutions for function decreases account's UnreservedConcurrentExecution below its minimum value of [%d].", lambdaMinUnreserved)
	}
	prev := "none"
	if fn.ReservedConcurrency != nil {
		prev = strconv.Itoa(int(*fn.ReservedConcurrency))
	}
	changed := prev != strconv.FormatInt(n, 10)
	if changed {
		v := int32(n)
		fn.ReservedConcurrency, fn.ConcurrencyChangedAt = &v, c.Now
	}
	s.record(c, fn.ARN, changed, fmt.Sprintf("reserved concurrency %s -> %d", prev, n))
	return map[string]any{"ReservedConcurrentExecutions": n}, nil
}

func lambdaGetFunctionConcurrency(s *Server, c *Call) (any, error) {
	fn, err := lambdaFunction(s, c, c.Path["FunctionName"])
	if err != nil {
		return nil, err
	}
	if fn.ReservedConcurrency == nil {
		return map[string]any{}, nil
	}
	return map[string]any{"ReservedConcurrentExecutions": *fn.ReservedConcurrency}, nil
}

func lambdaDeleteFunctionConcurrency(s *Server, c *Call) (any, error) {
	fn, err := lambdaFunction(s, c, c.Path["FunctionName"])
	if err != nil {
		return nil, err
	}
	prev := "none"
	if fn.ReservedConcurrency != nil {
		prev = strconv.Itoa(int(*fn.ReservedConcurrency))
		fn.ReservedConcurrency, fn.ConcurrencyChangedAt = nil, c.Now
	}
	s.record(c, fn.ARN, prev != "none", fmt.Sprintf("reserved concurrency %s -> none", prev))
	return &RestResponse{Status: 204}, nil
}

func lambdaGetAccountSettings(s *Server, c *Call) (any, error) {
	reg := s.world.Regions[c.Region]
	return map[string]any{
		"AccountLimit": map[string]any{
			"ConcurrentExecutions":           lambdaAccountConcurrency,
			"UnreservedConcurrentExecutions": lambdaAccountConcurrency - lambdaReserved(reg, ""),
			"TotalCodeSize":                  int64(75 << 30), "CodeSizeZipped": 50 << 20, "CodeSizeUnzipped": 250 << 20,
		},
		"AccountUsage": map[string]any{"FunctionCount": len(reg.Functions)},
	}, nil
}
