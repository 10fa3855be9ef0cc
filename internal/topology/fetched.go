package topology

import "fmt"

// NamedValue is a value of the topology with the field that holds it, for checks that refuse it by name.
type NamedValue struct {
	Field string
	URL   string
	Name  string
}

// FetchedURLs are the URLs the worker GETs on a request's behalf (health and fallback health URLs), in a
// stable order: the policy allows only its hosts.
func (t Topology) FetchedURLs() []NamedValue {
	var out []NamedValue
	for _, m := range []struct {
		field string
		urls  map[string]string
	}{{"api.healthUrls", t.API.HealthURLs}, {"api.fallbackHealthUrls", t.API.FallbackHealthURLs}} {
		for _, r := range sortedKeys(m.urls) {
			out = append(out, NamedValue{Field: fmt.Sprintf("%s.%s", m.field, r), URL: m.urls[r]})
		}
	}
	return out
}

// SecretEnvNames are the worker environment variables the topology asks the worker to read secrets from.
func (t Topology) SecretEnvNames() []NamedValue {
	var out []NamedValue
	if t.Aurora.DSNEnv != "" {
		out = append(out, NamedValue{Field: "aurora.dsnEnv", Name: t.Aurora.DSNEnv})
	}
	if t.StatusPageWebhookEnv != "" {
		out = append(out, NamedValue{Field: "statusPageWebhookEnv", Name: t.StatusPageWebhookEnv})
	}
	return out
}
