package e2e

import (
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/roadcall/dr/internal/testenv"
	"github.com/roadcall/dr/workflows"
)

// TestEveryRequestExampleCarriesTheLocalTopology keeps every examples/requests/*.json runnable as-is against
// an awssim started on examples/roadcall-local.json (the README's `temporal workflow start --input-file`):
// its topology is the local one and the workflow's own validation accepts it. Regenerate a request with
// python3 -c 'import json;print(json.dumps({"topology":json.load(open("examples/roadcall-local.json"))},indent=2))'
// plus the scenario's fields.
func TestEveryRequestExampleCarriesTheLocalTopology(t *testing.T) {
	root := testenv.ModuleRoot(t)
	topoBytes, err := os.ReadFile(filepath.Join(root, "examples", "roadcall-local.json"))
	if err != nil {
		t.Fatal(err)
	}
	var topo any
	if err := json.Unmarshal(topoBytes, &topo); err != nil {
		t.Fatal(err)
	}
	files, err := filepath.Glob(filepath.Join(root, "examples", "requests", "*.json"))
	if err != nil || len(files) < 6 {
		t.Fatalf("want a request example per workflow, found %v (%v)", files, err)
	}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		var req map[string]any
		if err := json.Unmarshal(b, &req); err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		name := strings.TrimSuffix(filepath.Base(f), ".json")
		if !reflect.DeepEqual(req["topology"], topo) {
			t.Errorf("%s.json: its topology differs from examples/roadcall-local.json", name)
		}
		typed, ok := requestTypes[name]
		if !ok {
			t.Errorf("%s.json: no workflow request type is known for it", name)
			continue
		}
		if err := json.Unmarshal(b, typed); err != nil {
			t.Fatalf("%s.json: %v", name, err)
		}
		if err := typed.Prepare(); err != nil {
			t.Errorf("%s.json is refused by the workflow's validation: %v", name, err)
		}
		if v, ok := typed.(interface{ PrepareAt(time.Time) error }); ok {
			if err := v.PrepareAt(time.Now()); err != nil {
				t.Errorf("%s.json is refused by the workflow's validation: %v", name, err)
			}
		}
		if v, ok := typed.(interface{ Validate() error }); ok {
			if err := v.Validate(); err != nil {
				t.Errorf("%s.json is refused by the workflow's validation: %v", name, err)
			}
		}
	}
}

var requestTypes = map[string]interface{ Prepare() error }{
	"readiness": &workflows.ReadinessRequest{}, "failover": &workflows.FailoverRequest{}, "degradation": &workflows.DegradationRequest{},
	"corruption": &workflows.CorruptionRequest{}, "failback": &workflows.FailbackRequest{}, "drill": &workflows.DrillRequest{},
}
