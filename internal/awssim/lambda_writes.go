package awssim

import (
	"strings"
)

// The application refuses writes while READ_ONLY_MODE=true is in the environment of the configuration
// that serves a request. Which configuration serves is the API's business: its integration URI invokes the
// function unqualified ($LATEST), a version, or an alias (its version, plus a weighted second version).
// So whether writes are served follows what the API invokes, never $LATEST by itself: an environment
// written to $LATEST reaches an alias's traffic only once published and the alias moved.

// readOnlyVar is the variable the Roadcall application reads to refuse writes.
const readOnlyVar = "READ_ONLY_MODE"

// FunctionWrites says whether the API's requests to one function can write.
type FunctionWrites struct {
	Function string `json:"function"`
	// Invokes is the integration's qualifier: "$LATEST", an alias name or a version number.
	Invokes string `json:"invokes"`
	// Versions are the configurations that run those invocations ("$LATEST" or a number) with their share.
	Versions map[string]float64 `json:"versions"`
	// ServesWrites is false only when every configuration taking a share has READ_ONLY_MODE=true.
	ServesWrites bool `json:"servesWrites"`
}

// writes is the region's FunctionWrites, one per function an API integration invokes, sorted by function.
func (s *Server) writes(region string) []FunctionWrites {
	reg := s.world.Regions[region]
	seen := map[string]bool{}
	var out []FunctionWrites
	for _, id := range SortedKeys(reg.RestAPIs) {
		api := reg.RestAPIs[id]
		for _, rid := range SortedKeys(api.Resources) {
			for _, m := range SortedKeys(api.Resources[rid].Integrations) {
				fw, ok := s.integrationWrites(region, api.Resources[rid].Integrations[m])
				if ok && !seen[fw.Function+":"+fw.Invokes] {
					seen[fw.Function+":"+fw.Invokes] = true
					out = append(out, fw)
				}
			}
		}
	}
	return out
}

// integrationWrites follows one Lambda integration URI to the configurations it runs.
func (s *Server) integrationWrites(region, uri string) (FunctionWrites, bool) {
	_, rest, ok := strings.Cut(uri, ":lambda:path/2015-03-31/functions/")
	fnARN, found := strings.CutSuffix(rest, "/invocations")
	if !ok || !found {
		return FunctionWrites{}, false
	}
	parts := strings.Split(fnARN, ":")
	if len(parts) < 7 || parts[3] != region || parts[4] != s.world.AccountID {
		return FunctionWrites{}, false
	}
	fn := s.world.Regions[region].Functions[parts[6]]
	if fn == nil {
		return FunctionWrites{}, false
	}
	fw := FunctionWrites{Function: fn.Name, Invokes: "$LATEST", Versions: map[string]float64{}}
	if len(parts) > 7 {
		fw.Invokes = parts[7]
	}
	if a := fn.Aliases[fw.Invokes]; a != nil {
		primary := 1.0
		for v, w := range a.Weights {
			fw.Versions[v] = w
			primary -= w
		}
		fw.Versions[a.FunctionVersion] = primary
	} else if fn.resolve(fw.Invokes) != nil {
		fw.Versions[fw.Invokes] = 1
	}
	for v, share := range fw.Versions {
		if cfg := fn.resolve(v); share > 0 && (cfg == nil || cfg.Env[readOnlyVar] != "true") {
			fw.ServesWrites = true
		}
	}
	return fw, true
}

// Writes is, per region, whether the API's requests to each function can write: what awssim's
// application would do with a write now.
func (s *Server) Writes() map[string][]FunctionWrites {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.advanceAll(s.now())
	return s.allWrites()
}

func (s *Server) allWrites() map[string][]FunctionWrites {
	out := map[string][]FunctionWrites{}
	for _, r := range SortedKeys(s.world.Regions) {
		out[r] = s.writes(r)
	}
	return out
}
