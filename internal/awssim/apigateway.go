package awssim

import (
	"encoding/base64"
	"fmt"
	"sort"
	"strconv"
	"strings"
)

// API Gateway (REST APIs) speaks rest-json. APIs and stages are read, and UpdateStage patches the method
// settings the world keeps (throttling, metrics); deployments are not modeled.
func init() {
	register(&service{
		name: "apigateway", protocol: restJSON{}, throttleCode: "TooManyRequestsException", throttleStatus: 429,
		ops: map[string]opFunc{
			"GetRestApis": apigwGetRestApis,
			"GetRestApi":  apigwGetRestApi,
			"GetStages":   apigwGetStages,
			"GetStage":    apigwGetStage,
			"UpdateStage": apigwUpdateStage,
			// Resources and integrations are read-only here: they say which function (and alias) a path invokes.
			"GetResources":   apigwGetResources,
			"GetIntegration": apigwGetIntegration,
		},
		routes: []route{
			rest("GET", "/restapis", "GetRestApis"),
			rest("GET", "/restapis/{RestApiId}", "GetRestApi"),
			rest("GET", "/restapis/{RestApiId}/stages", "GetStages"),
			rest("GET", "/restapis/{RestApiId}/stages/{StageName}", "GetStage"),
			rest("PATCH", "/restapis/{RestApiId}/stages/{StageName}", "UpdateStage"),
			rest("GET", "/restapis/{RestApiId}/resources", "GetResources"),
			rest("GET", "/restapis/{RestApiId}/resources/{ResourceId}/methods/{HttpMethod}/integration", "GetIntegration"),
		},
	})
}

// stageUpdatePaths are the patch paths AWS accepts on a stage, in the order its error message lists them.
var stageUpdatePaths = []string{
	"/deploymentId", "/description", "/cacheClusterEnabled", "/cacheClusterSize", "/clientCertificateId",
	"/accessLogSettings", "/accessLogSettings/destinationArn", "/accessLogSettings/format",
	"/{resourcePath}/{httpMethod}/metrics/enabled", "/{resourcePath}/{httpMethod}/logging/dataTrace",
	"/{resourcePath}/{httpMethod}/logging/loglevel", "/{resourcePath}/{httpMethod}/throttling/burstLimit",
	"/{resourcePath}/{httpMethod}/throttling/rateLimit", "/{resourcePath}/{httpMethod}/caching/ttlInSeconds",
	"/{resourcePath}/{httpMethod}/caching/enabled", "/{resourcePath}/{httpMethod}/caching/dataEncrypted",
	"/{resourcePath}/{httpMethod}/caching/requireAuthorizationForCacheControl",
	"/{resourcePath}/{httpMethod}/caching/unauthorizedCacheControlHeaderStrategy",
	"/*/*/metrics/enabled", "/*/*/logging/dataTrace", "/*/*/logging/loglevel", "/*/*/throttling/burstLimit",
	"/*/*/throttling/rateLimit", "/*/*/caching/ttlInSeconds", "/*/*/caching/enabled", "/*/*/caching/dataEncrypted",
	"/*/*/caching/requireAuthorizationForCacheControl", "/*/*/caching/unauthorizedCacheControlHeaderStrategy",
	"/variables/{variable_name}", "/tracingEnabled",
}

// stageUpdatePathList is the list as AWS prints it, with its odd joins around the throttling entries reproduced
// so a message matches what an operator would see from AWS.
var stageUpdatePathList = func() string {
	s := "[" + strings.Join(stageUpdatePaths, ", ") + "]"
	s = strings.Replace(s, "/throttling/burstLimit, /{resourcePath}", "/throttling/burstLimit/{resourcePath}", 1)
	s = strings.Replace(s, "/throttling/rateLimit, /{resourcePath}", "/throttling/rateLimit/{resourcePath}", 1)
	s = strings.ReplaceAll(s, "/burstLimit, /", "/burstLimit /")
	return strings.ReplaceAll(s, "/rateLimit, /", "/rateLimit /")
}()

func apigwAPI(s *Server, c *Call) (*RestAPI, error) {
	api := s.world.Regions[c.Region].RestAPIs[c.Path["RestApiId"]]
	if api == nil {
		return nil, Errf(404, "NotFoundException", "Invalid API identifier specified %s:%s", s.world.AccountID, c.Path["RestApiId"])
	}
	return api, nil
}

func apigwStage(s *Server, c *Call) (*RestAPI, *Stage, error) {
	api, err := apigwAPI(s, c)
	if err != nil {
		return nil, nil, err
	}
	st := api.Stages[c.Path["StageName"]]
	if st == nil {
		return nil, nil, Errf(404, "NotFoundException", "Invalid Stage identifier specified")
	}
	return api, st, nil
}

func apigwGetRestApis(s *Server, c *Call) (any, error) {
	q := c.Req.URL.Query()
	apis := s.world.Regions[c.Region].RestAPIs
	ids := SortedKeys(apis)
	limit := 25
	if v := q.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 500 {
			return nil, Errf(400, "BadRequestException", "Invalid limit %s: must be between 1 and 500", v)
		}
		limit = n
	}
	start := 0
	if p := q.Get("position"); p != "" {
		after, err := base64.RawURLEncoding.DecodeString(p)
		if err != nil {
			return nil, Errf(400, "BadRequestException", "Invalid position parameter %s", p)
		}
		start = sort.SearchStrings(ids, string(after))
	}
	end := min(start+limit, len(ids))
	items := make([]any, 0, end-start)
	for _, id := range ids[start:end] {
		items = append(items, apigwRestAPIOut(s, apis[id]))
	}
	// The wire name is "item"; SDKs surface it as items.
	out := map[string]any{"item": items}
	if end < len(ids) {
		out["position"] = base64.RawURLEncoding.EncodeToString([]byte(ids[end]))
	}
	return out, nil
}

func apigwGetRestApi(s *Server, c *Call) (any, error) {
	api, err := apigwAPI(s, c)
	if err != nil {
		return nil, err
	}
	return apigwRestAPIOut(s, api), nil
}

// apigwGetStages ignores the deploymentId filter: deployments are not modeled, every stage is on the current one.
func apigwGetStages(s *Server, c *Call) (any, error) {
	api, err := apigwAPI(s, c)
	if err != nil {
		return nil, err
	}
	items := []any{}
	for _, name := range SortedKeys(api.Stages) {
		items = append(items, apigwStageOut(s, api.Stages[name]))
	}
	return map[string]any{"item": items}, nil
}

func apigwGetStage(s *Server, c *Call) (any, error) {
	_, st, err := apigwStage(s, c)
	if err != nil {
		return nil, err
	}
	return apigwStageOut(s, st), nil
}

// methodSettingPath splits "/{resourcePath}/{httpMethod}/{group}/{name}" into the methodSettings key
// ("*/*", or the resource path without its leading slash, "/" escaped as "~1" in the patch path, then the
// method) and the field. With field "", the path names a whole method setting (as "remove" uses it).
func methodSettingPath(path string) (key, field string, ok bool) {
	segs := strings.Split(strings.TrimPrefix(path, "/"), "/")
	if len(segs) >= 4 {
		field = segs[len(segs)-2] + "/" + segs[len(segs)-1]
		if _, known := methodSettingFields[field]; !known {
			return "", "", false
		}
		segs = segs[:len(segs)-2]
	}
	if len(segs) < 2 {
		return "", "", false
	}
	method := segs[len(segs)-1]
	res := strings.TrimPrefix(strings.ReplaceAll(strings.Join(segs[:len(segs)-1], "/"), "~1", "/"), "/")
	if res == "" || method == "" || (res == "*") != (method == "*") {
		return "", "", false
	}
	return res + "/" + method, field, true
}

func apigwUpdateStage(s *Server, c *Call) (any, error) {
	api, st, err := apigwStage(s, c)
	if err != nil {
		return nil, err
	}
	arn := fmt.Sprintf("arn:aws:apigateway:%s::/restapis/%s/stages/%s", c.Region, api.ID, st.Name)
	// Apply to a copy so a refused operation anywhere in the list leaves the stage as it was, as AWS does.
	settings := map[string]*MethodSetting{}
	for k, ms := range st.MethodSettings {
		cp := *ms
		settings[k] = &cp
	}
	var changes []string
	for i, op := range c.Input.Maps("patchOperations") {
		path, kind, value := op.Str("path"), op.Str("op"), op.Str("value")
		key, field, ok := methodSettingPath(path)
		// A bare "/{resourcePath}/{httpMethod}" names a whole method setting, which only "remove" takes.
		if !ok || (field == "" && kind != "remove") {
			for _, p := range stageUpdatePaths {
				if p == path || (strings.HasPrefix(p, "/variables/") && strings.HasPrefix(path, "/variables/")) {
					return nil, Errf(400, "BadRequestException", "awssim does not model the stage patch path %s (stage %s of REST API %s in %s)", path, st.Name, api.ID, c.Region)
				}
			}
			return nil, Errf(400, "BadRequestException", "Invalid method setting path: %s. Must be one of: %s", path, stageUpdatePathList)
		}
		if field != "" && !methodSettingFields[field] {
			return nil, Errf(400, "BadRequestException", "awssim does not model the method setting %s (stage %s of REST API %s in %s)", field, st.Name, api.ID, c.Region)
		}
		switch {
		case kind == "remove" && field == "":
			if settings[key] == nil {
				return nil, Errf(400, "BadRequestException", "Cannot remove method setting %s because there is no method setting for this method ", key)
			}
			delete(settings, key)
			changes = append(changes, "removed "+key)
		case kind == "replace" && field != "":
			ms := settings[key]
			if ms == nil {
				// A new per-method override starts from the stage-wide settings.
				ms = &MethodSetting{ThrottlingRateLimit: 10000, ThrottlingBurstLimit: 5000}
				if all := settings["*/*"]; all != nil {
					*ms = *all
				}
				settings[key] = ms
				changes = append(changes, "added method setting "+key)
			}
			changed, err := applyMethodSetting(ms, field, value)
			if err != nil {
				return nil, Errf(400, "BadRequestException", "patchOperations[%d] %s: %v", i, path, err)
			}
			if changed {
				changes = append(changes, fmt.Sprintf("%s=%s", strings.TrimPrefix(path, "/"), value))
			}
		default:
			return nil, Errf(400, "BadRequestException", "Invalid patch operation specified: op %q is not supported for path %s", kind, path)
		}
	}
	if len(changes) == 0 {
		s.record(c, arn, false, "stage settings already as requested")
		return apigwStageOut(s, st), nil
	}
	st.MethodSettings, st.LastUpdated = settings, c.Now
	s.record(c, arn, true, strings.Join(changes, "; "))
	return apigwStageOut(s, st), nil
}

// apigwGetResources lists every resource in one page (the API has a handful); embed=methods includes each
// method with its integration, as AWS does.
func apigwGetResources(s *Server, c *Call) (any, error) {
	api, err := apigwAPI(s, c)
	if err != nil {
		return nil, err
	}
	embed := strings.Contains(strings.Join(c.Req.URL.Query()["embed"], ","), "methods")
	items := []any{}
	for _, id := range SortedKeys(api.Resources) {
		res := api.Resources[id]
		item := map[string]any{"id": res.ID, "path": res.Path}
		if res.ParentID != "" {
			item["parentId"] = res.ParentID
			item["pathPart"] = res.Path[strings.LastIndex(strings.TrimSuffix(res.Path, "/{proxy+}"), "/")+1:]
		}
		if len(res.Integrations) > 0 {
			methods := map[string]any{}
			for _, m := range SortedKeys(res.Integrations) {
				method := map[string]any{"httpMethod": m, "authorizationType": "NONE"}
				if embed {
					method["methodIntegration"] = apigwIntegrationOut(res.Integrations[m])
				}
				methods[m] = method
			}
			item["resourceMethods"] = methods
		}
		items = append(items, item)
	}
	return map[string]any{"item": items}, nil
}

func apigwGetIntegration(s *Server, c *Call) (any, error) {
	api, err := apigwAPI(s, c)
	if err != nil {
		return nil, err
	}
	res := api.Resources[c.Path["ResourceId"]]
	if res == nil {
		return nil, Errf(404, "NotFoundException", "Invalid Resource identifier specified")
	}
	uri, ok := res.Integrations[c.Path["HttpMethod"]]
	if !ok {
		return nil, Errf(404, "NotFoundException", "Invalid Method identifier specified")
	}
	return apigwIntegrationOut(uri), nil
}

// apigwIntegrationOut is a Lambda proxy integration: API Gateway always invokes Lambda with POST.
func apigwIntegrationOut(uri string) map[string]any {
	return map[string]any{"type": "AWS_PROXY", "httpMethod": "POST", "uri": uri, "passthroughBehavior": "WHEN_NO_MATCH",
		"timeoutInMillis": timeoutMS, "cacheNamespace": "", "cacheKeyParameters": []string{}}
}
