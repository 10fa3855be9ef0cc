package awssim

import (
	"time"

	"github.com/roadcall/dr/internal/topology"
)

// The API Gateway model: REST APIs and their stages' method settings.

type RestAPI struct {
	ID     string            `json:"id"`
	Name   string            `json:"name"`
	Stages map[string]*Stage `json:"stages"`
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
			}}
		}
	}
}
