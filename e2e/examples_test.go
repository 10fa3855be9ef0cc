package e2e

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"testing"

	"github.com/roadcall/dr/internal/testenv"
	"github.com/roadcall/dr/workflows"
)

// TestReadinessRequestMatchesLocalTopology keeps examples/requests/readiness.json equal to
// {"topology": examples/roadcall-local.json}, so the README's CLI recipe runs the demo platform.
// Regenerate: python3 -c 'import json;print(json.dumps({"topology":json.load(open("examples/roadcall-local.json"))},indent=2))' > examples/requests/readiness.json
func TestReadinessRequestMatchesLocalTopology(t *testing.T) {
	root := testenv.ModuleRoot(t)
	reqBytes, err := os.ReadFile(filepath.Join(root, "examples", "requests", "readiness.json"))
	if err != nil {
		t.Fatal(err)
	}
	topoBytes, err := os.ReadFile(filepath.Join(root, "examples", "roadcall-local.json"))
	if err != nil {
		t.Fatal(err)
	}
	var req map[string]any
	var topo any
	if err := json.Unmarshal(reqBytes, &req); err != nil {
		t.Fatalf("examples/requests/readiness.json: %v", err)
	}
	if err := json.Unmarshal(topoBytes, &topo); err != nil {
		t.Fatalf("examples/roadcall-local.json: %v", err)
	}
	if !reflect.DeepEqual(req["topology"], topo) {
		t.Fatal("examples/requests/readiness.json's topology differs from examples/roadcall-local.json; regenerate it (see this test's comment)")
	}
	// It must also be a request the workflow accepts as-is.
	var r workflows.ReadinessRequest
	dec := json.NewDecoder(bytes.NewReader(reqBytes))
	if err := dec.Decode(&r); err != nil {
		t.Fatal(err)
	}
	if err := r.Prepare(); err != nil {
		t.Fatalf("examples/requests/readiness.json is refused by the workflow's validation: %v", err)
	}
}
