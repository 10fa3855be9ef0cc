package awssim

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/roadcall/dr/internal/topology"
)

// The API Gateway model: REST APIs and their stages' method settings.

type RestAPI struct {
	ID     string            `json:"id"`
	Name   string            `json:"name"`
	Stages map[string]*Stage `json:"stages"`
	// Resources are keyed by id; each resource's methods integrate with a Lambda function (AWS_PROXY).
	Resources map[string]*APIResource `json:"resources"`
}

// APIResource is one path of the API with its methods' integrations.
type APIResource struct {
	ID       string `json:"id"`
	ParentID string `json:"parentId,omitempty"`
	Path     string `json:"path"`
	// Integrations maps an HTTP method to its integration URI: for Lambda proxy integrations
	// arn:aws:apigateway:REGION:lambda:path/2015-03-31/functions/FUNCTION_ARN[:QUALIFIER]/invocations.
	Integrations map[string]string `json:"integrations,omitempty"`
}

type Stage struct {
	Name string `json:"name"`
	// MethodSettings is keyed "resourcePath/httpMethod", with "*/*" for all methods.
	MethodSettings map[string]*MethodSetting `json:"methodSettings"`
	LastUpdated    time.Time                 `json:"lastUpdated"`
}

type MethodSetting struct {
	ThrottlingRateLimit  float64 `json:"throttlingRateLimit"`
	ThrottlingBurstLimit int32   `json:"throttlingBurstLimit"`
	MetricsEnabled       bool    `json:"metricsEnabled"`
}

// seedAPIGateway gives each region that has one the topology's REST API, its stage throttled at AWS's
// account defaults.
func seedAPIGateway(w *World, t topology.Topology, born time.Time) {
	for _, r := range t.Regions() {
		if id := t.API.RestAPIIDs[r]; id != "" {
			w.Regions[r].RestAPIs[id] = &RestAPI{ID: id, Name: t.API.Name, Stages: map[string]*Stage{
				t.API.Stage: {Name: t.API.Stage, LastUpdated: born, MethodSettings: map[string]*MethodSetting{
					"*/*": {ThrottlingRateLimit: 10000, ThrottlingBurstLimit: 5000, MetricsEnabled: true},
				}},
			}, Resources: seedResources(t, r, id)}
		}
	}
}

// seedResources gives the API a root and one proxy path per function, /<service>/{proxy+}, whose ANY method
// invokes the function through the topology's alias for it, or $LATEST.
func seedResources(t topology.Topology, region, apiID string) map[string]*APIResource {
	root := &APIResource{ID: resourceID(apiID + "/"), Path: "/"}
	out := map[string]*APIResource{root.ID: root}
	for _, fn := range t.Functions {
		svc := strings.TrimSuffix(strings.TrimPrefix(fn.Name, t.Platform+"-"), "-"+t.Stage)
		fnARN := fmt.Sprintf("arn:aws:lambda:%s:%s:function:%s", region, t.AccountID, fn.Name)
		if fn.Alias != "" {
			fnARN += ":" + fn.Alias
		}
		res := &APIResource{ID: resourceID(apiID + "/" + svc), ParentID: root.ID, Path: "/" + svc + "/{proxy+}",
			Integrations: map[string]string{"ANY": lambdaIntegrationURI(region, fnARN)}}
		out[res.ID] = res
	}
	return out
}

// lambdaIntegrationURI is the URI API Gateway invokes a Lambda function (ARN, maybe qualified) with.
func lambdaIntegrationURI(region, fnARN string) string {
	return fmt.Sprintf("arn:aws:apigateway:%s:lambda:path/2015-03-31/functions/%s/invocations", region, fnARN)
}

// resourceID is a stable API Gateway resource id: 10 lowercase letters and digits.
func resourceID(key string) string {
	return strings.ReplaceAll(stableID(key), "-", "")[:10]
}

// methodSettingFields are the per-method settings AWS accepts (group/name); true marks those the world keeps.
var methodSettingFields = map[string]bool{
	"metrics/enabled": true, "throttling/burstLimit": true, "throttling/rateLimit": true,
	"logging/dataTrace": false, "logging/loglevel": false, "caching/ttlInSeconds": false, "caching/enabled": false,
	"caching/dataEncrypted": false, "caching/requireAuthorizationForCacheControl": false,
	"caching/unauthorizedCacheControlHeaderStrategy": false,
}

// applyMethodSetting sets one modeled field from its patch value and reports whether it changed.
func applyMethodSetting(ms *MethodSetting, field, value string) (bool, error) {
	switch field {
	case "throttling/rateLimit":
		f, err := strconv.ParseFloat(value, 64)
		if err != nil || f < 0 {
			return false, fmt.Errorf("the rate limit must be a non-negative number, got %q", value)
		}
		changed := ms.ThrottlingRateLimit != f
		ms.ThrottlingRateLimit = f
		return changed, nil
	case "throttling/burstLimit":
		n, err := strconv.ParseInt(value, 10, 32)
		if err != nil || n < 0 {
			return false, fmt.Errorf("the burst limit must be a non-negative integer, got %q", value)
		}
		changed := ms.ThrottlingBurstLimit != int32(n)
		ms.ThrottlingBurstLimit = int32(n)
		return changed, nil
	case "metrics/enabled":
		b, err := strconv.ParseBool(value)
		if err != nil {
			return false, fmt.Errorf("metrics/enabled must be true or false, got %q", value)
		}
		changed := ms.MetricsEnabled != b
		ms.MetricsEnabled = b
		return changed, nil
	}
	return false, fmt.Errorf("awssim does not model %s", field)
}
