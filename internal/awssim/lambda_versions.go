package awssim

import (
	"encoding/base64"
	"fmt"
	"maps"
	"regexp"
	"sort"
	"strconv"
	"strings"
)

// Lambda versions and aliases, as the Lambda Developer Guide ("Manage Lambda function versions", "Create an
// alias for a Lambda function") and botocore's lambda 2015-03-31 service model describe them:
//   - PublishVersion snapshots $LATEST as the next number; a version's configuration never changes after.
//   - Publishing when neither code nor configuration changed since the last version publishes nothing and
//     answers the last version (PublishVersion's API reference: "Lambda doesn't publish a version if the
//     function's configuration and code haven't changed since the last version").
//   - CodeSha256 and RevisionId are preconditions on $LATEST; UpdateAlias's RevisionId one on the alias.
//   - An alias points at a version, optionally with one more version taking a weight of its invocations;
//     a weighted alias cannot involve $LATEST.

var (
	// lambdaAliasRE is the Alias shape's pattern without its lookahead (?!^[0-9]+$), checked apart.
	lambdaAliasRE   = regexp.MustCompile(`^[a-zA-Z0-9_-]{1,128}$`)
	lambdaVersionRE = regexp.MustCompile(`^(\$LATEST|[0-9]+)$`)
)

const lambdaRevisionMismatch = "The Revision Id provided does not match the latest Revision Id. Call the GetFunction/GetAlias API to retrieve the latest Revision Id"

func lambdaAliasName(name string) error {
	if !lambdaAliasRE.MatchString(name) || strings.Trim(name, "0123456789") == "" {
		return Errf(400, "ValidationException", "1 validation error detected: Value '%s' at 'name' failed to satisfy constraint: Member must satisfy regular expression pattern: (?!^[0-9]+$)([a-zA-Z0-9-_]+)", name)
	}
	return nil
}

func lambdaDescription(in M) error {
	if d := in.Str("Description"); len(d) > 256 {
		return Errf(400, "ValidationException", "1 validation error detected: Value at 'description' failed to satisfy constraint: Member must have length less than or equal to 256")
	}
	return nil
}

// lambdaOnly refuses input members awssim does not model, so a caller never believes one took effect.
func lambdaOnly(c *Call, what string, modeled ...string) error {
	for _, k := range SortedKeys(c.Input) {
		if !strings.Contains(" "+strings.Join(modeled, " ")+" ", " "+k+" ") {
			return Errf(400, "InvalidParameterValueException", "awssim does not model %s in %s (%s in %s)", k, c.Operation, what, c.Region)
		}
	}
	return nil
}

// sameRelease reports whether version v holds $LATEST's code and configuration, so that publishing again
// would make nothing new. The version's own description may be PublishVersion's override, so it is not
// compared.
func sameRelease(v, latest *Function) bool {
	return v.CodeSha256 == latest.CodeSha256 && v.Handler == latest.Handler && v.Runtime == latest.Runtime &&
		v.Timeout == latest.Timeout && v.MemorySize == latest.MemorySize && maps.Equal(v.Env, latest.Env)
}

func lambdaPublishVersion(s *Server, c *Call) (any, error) {
	fn, err := lambdaFunction(s, c, c.Path["FunctionName"])
	if err != nil {
		return nil, err
	}
	if err := lambdaOnly(c, fn.ARN, "CodeSha256", "Description", "RevisionId"); err != nil {
		return nil, err
	}
	if err := lambdaDescription(c.Input); err != nil {
		return nil, err
	}
	if fn.LastUpdateStatus == "InProgress" {
		return nil, Errf(409, "ResourceConflictException", "The operation cannot be performed at this time. An update is in progress for resource: %s", fn.ARN)
	}
	if rev := c.Input.Str("RevisionId"); rev != "" && rev != fn.RevisionID {
		return nil, Errf(412, "PreconditionFailedException", lambdaRevisionMismatch)
	}
	if sha := c.Input.Str("CodeSha256"); sha != "" && sha != fn.CodeSha256 {
		return nil, Errf(400, "InvalidParameterValueException", "CodeSHA256 (%s) is different from current CodeSHA256 in $LATEST (%s). Please try again with the CodeSHA256 in $LATEST.", sha, fn.CodeSha256)
	}
	if last := fn.Versions[strconv.Itoa(fn.LastVersion)]; last != nil && sameRelease(last, fn) {
		s.record(c, fn.ARN, false, fmt.Sprintf("no change since version %s", last.Version))
		return &RestResponse{Status: 201, Body: lambdaConfig(last, true)}, nil
	}
	v := publishSnapshot(fn, fn.LastVersion+1, c.Now)
	v.RevisionID = newRevision(v.ARN, int(s.reqSeq))
	v.ReadyAt = s.after(s.durations.VersionPublish)
	if c.Input.Has("Description") {
		v.Description = c.Input.Str("Description")
	}
	if fn.Versions == nil {
		fn.Versions = map[string]*Function{}
	}
	fn.Versions[v.Version], fn.LastVersion = v, fn.LastVersion+1
	s.record(c, v.ARN, true, fmt.Sprintf("published version %s from $LATEST revision %s", v.Version, fn.RevisionID))
	return &RestResponse{Status: 201, Body: lambdaConfig(v, true)}, nil
}

// lambdaPage cuts a sorted list of keys into ListFunctions-style pages: MaxItems 1..10000, at most 50 a
// page whatever it says, Marker an opaque position.
func lambdaPage(c *Call, keys []string) (page []string, next string, err error) {
	q := c.Req.URL.Query()
	n := lambdaListPage
	if v := q.Get("MaxItems"); v != "" {
		m, err := strconv.Atoi(v)
		if err != nil || m < 1 || m > 10000 {
			return nil, "", Errf(400, "ValidationException", "1 validation error detected: Value '%s' at 'maxItems' failed to satisfy constraint: Member must have value between 1 and 10000", v)
		}
		n = min(n, m)
	}
	start := 0
	if m := q.Get("Marker"); m != "" {
		b, err := base64.RawURLEncoding.DecodeString(m)
		i, perr := strconv.Atoi(string(b))
		if err != nil || perr != nil || i < 0 || i > len(keys) {
			return nil, "", Errf(400, "InvalidParameterValueException", "Invalid Marker %q for %s in %s", m, c.Operation, c.Region)
		}
		start = i
	}
	end := min(start+n, len(keys))
	if end < len(keys) {
		next = base64.RawURLEncoding.EncodeToString([]byte(strconv.Itoa(end)))
	}
	return keys[start:end], next, nil
}

// versionOrder sorts version numbers numerically.
func versionOrder(vs []string) {
	sort.Slice(vs, func(i, j int) bool {
		a, _ := strconv.Atoi(vs[i])
		b, _ := strconv.Atoi(vs[j])
		return a < b
	})
}

func lambdaListVersionsByFunction(s *Server, c *Call) (any, error) {
	fn, err := lambdaFunction(s, c, c.Path["FunctionName"])
	if err != nil {
		return nil, err
	}
	nums := SortedKeys(fn.Versions)
	versionOrder(nums)
	keys := append([]string{"$LATEST"}, nums...)
	page, next, err := lambdaPage(c, keys)
	if err != nil {
		return nil, err
	}
	// ListVersionsByFunction, like ListFunctions, leaves State and LastUpdateStatus out.
	out := []any{}
	for _, k := range page {
		out = append(out, lambdaConfig(fn.resolve(k), false))
	}
	res := map[string]any{"Versions": out}
	if next != "" {
		res["NextMarker"] = next
	}
	return res, nil
}

// aliasWeights validates RoutingConfig.AdditionalVersionWeights against primary, the version the alias will
// point at.
func aliasWeights(fn *Function, in M, primary string) (map[string]float64, error) {
	raw := in.Map("RoutingConfig").Map("AdditionalVersionWeights")
	if len(raw) == 0 {
		return nil, nil
	}
	if len(raw) > 1 {
		return nil, Errf(400, "InvalidParameterValueException", "Number of additional version weights cannot exceed 1 (alias of %s)", fn.ARN)
	}
	if primary == "$LATEST" {
		return nil, Errf(400, "InvalidParameterValueException", "$LATEST is not supported for an alias pointing to more than 1 version")
	}
	out := map[string]float64{}
	for v := range raw {
		w, ok := raw.Float(v)
		switch {
		case !ok || w < 0 || w > 1:
			return nil, Errf(400, "ValidationException", "1 validation error detected: Value '%v' at 'routingConfig.additionalVersionWeights' failed to satisfy constraint: Map value must satisfy constraint: [Member must have value less than or equal to 1.0, Member must have value greater than or equal to 0.0]", raw[v])
		case v == "$LATEST":
			return nil, Errf(400, "InvalidParameterValueException", "$LATEST is not supported for an alias pointing to more than 1 version")
		case fn.Versions[v] == nil:
			return nil, Errf(404, "ResourceNotFoundException", "Function not found: %s:%s", fn.ARN, v)
		case v == primary:
			return nil, Errf(400, "InvalidParameterValueException", "Invalid function version %s. Function version %s is already included in routing configuration.", v, v)
		}
		out[v] = w
	}
	return out, nil
}

// aliasVersion checks that FunctionVersion names $LATEST or a published version of fn.
func aliasVersion(fn *Function, v string) error {
	if !lambdaVersionRE.MatchString(v) {
		return Errf(400, "ValidationException", "1 validation error detected: Value '%s' at 'functionVersion' failed to satisfy constraint: Member must satisfy regular expression pattern: (\\$LATEST|[0-9]+)", v)
	}
	if v != "$LATEST" && fn.Versions[v] == nil {
		return Errf(404, "ResourceNotFoundException", "Function not found: %s:%s", fn.ARN, v)
	}
	return nil
}

func lambdaCreateAlias(s *Server, c *Call) (any, error) {
	fn, err := lambdaFunction(s, c, c.Path["FunctionName"])
	if err != nil {
		return nil, err
	}
	if err := lambdaOnly(c, fn.ARN, "Name", "FunctionVersion", "Description", "RoutingConfig"); err != nil {
		return nil, err
	}
	name, version := c.Input.Str("Name"), c.Input.Str("FunctionVersion")
	if err := lambdaAliasName(name); err != nil {
		return nil, err
	}
	if err := lambdaDescription(c.Input); err != nil {
		return nil, err
	}
	if err := aliasVersion(fn, version); err != nil {
		return nil, err
	}
	weights, err := aliasWeights(fn, c.Input, version)
	if err != nil {
		return nil, err
	}
	arn := fn.ARN + ":" + name
	if fn.Aliases[name] != nil {
		return nil, Errf(409, "ResourceConflictException", "Alias already exists: %s", arn)
	}
	a := &Alias{Name: name, ARN: arn, FunctionVersion: version, Description: c.Input.Str("Description"), Weights: weights,
		RevisionID: newRevision(arn, int(s.reqSeq))}
	if fn.Aliases == nil {
		fn.Aliases = map[string]*Alias{}
	}
	fn.Aliases[name] = a
	s.record(c, arn, true, "alias -> "+aliasTarget(a))
	return &RestResponse{Status: 201, Body: lambdaAliasOut(a)}, nil
}

// lambdaAlias is the alias c's path names.
func lambdaAlias(s *Server, c *Call) (*Function, *Alias, error) {
	fn, err := lambdaFunction(s, c, c.Path["FunctionName"])
	if err != nil {
		return nil, nil, err
	}
	name := c.Path["Name"]
	if a := fn.Aliases[name]; a != nil {
		return fn, a, nil
	}
	return nil, nil, Errf(404, "ResourceNotFoundException", "Alias not found: %s:%s", fn.ARN, name)
}

// aliasTarget is how the journal shows where an alias sends invocations.
func aliasTarget(a *Alias) string {
	s := "version " + a.FunctionVersion
	for _, v := range SortedKeys(a.Weights) {
		s += fmt.Sprintf(" + version %s at %g", v, a.Weights[v])
	}
	return s
}

func lambdaUpdateAlias(s *Server, c *Call) (any, error) {
	fn, a, err := lambdaAlias(s, c)
	if err != nil {
		return nil, err
	}
	if err := lambdaOnly(c, a.ARN, "FunctionVersion", "Description", "RoutingConfig", "RevisionId"); err != nil {
		return nil, err
	}
	if err := lambdaDescription(c.Input); err != nil {
		return nil, err
	}
	if rev := c.Input.Str("RevisionId"); rev != "" && rev != a.RevisionID {
		return nil, Errf(412, "PreconditionFailedException", lambdaRevisionMismatch)
	}
	next := *a
	if c.Input.Has("FunctionVersion") {
		next.FunctionVersion = c.Input.Str("FunctionVersion")
		if err := aliasVersion(fn, next.FunctionVersion); err != nil {
			return nil, err
		}
	}
	if c.Input.Has("RoutingConfig") {
		if next.Weights, err = aliasWeights(fn, c.Input, next.FunctionVersion); err != nil {
			return nil, err
		}
	} else if len(next.Weights) > 0 {
		// The weights stay; they must still make sense with the new primary version.
		if next.FunctionVersion == "$LATEST" {
			return nil, Errf(400, "InvalidParameterValueException", "$LATEST is not supported for an alias pointing to more than 1 version")
		}
		if _, clash := next.Weights[next.FunctionVersion]; clash {
			return nil, Errf(400, "InvalidParameterValueException", "Invalid function version %s. Function version %s is already included in routing configuration.", next.FunctionVersion, next.FunctionVersion)
		}
	}
	if c.Input.Has("Description") {
		next.Description = c.Input.Str("Description")
	}
	if next.FunctionVersion == a.FunctionVersion && maps.Equal(next.Weights, a.Weights) && next.Description == a.Description {
		s.record(c, a.ARN, false, "alias already -> "+aliasTarget(a))
		return lambdaAliasOut(a), nil
	}
	before := aliasTarget(a)
	next.RevisionID = newRevision(a.ARN, int(s.reqSeq))
	*a = next
	s.record(c, a.ARN, true, "alias "+before+" -> "+aliasTarget(a))
	return lambdaAliasOut(a), nil
}

func lambdaGetAlias(s *Server, c *Call) (any, error) {
	_, a, err := lambdaAlias(s, c)
	if err != nil {
		return nil, err
	}
	return lambdaAliasOut(a), nil
}

func lambdaListAliases(s *Server, c *Call) (any, error) {
	fn, err := lambdaFunction(s, c, c.Path["FunctionName"])
	if err != nil {
		return nil, err
	}
	var names []string
	want := c.Req.URL.Query().Get("FunctionVersion")
	for _, n := range SortedKeys(fn.Aliases) {
		if want == "" || fn.Aliases[n].FunctionVersion == want {
			names = append(names, n)
		}
	}
	page, next, err := lambdaPage(c, names)
	if err != nil {
		return nil, err
	}
	out := []any{}
	for _, n := range page {
		out = append(out, lambdaAliasOut(fn.Aliases[n]))
	}
	res := map[string]any{"Aliases": out}
	if next != "" {
		res["NextMarker"] = next
	}
	return res, nil
}
