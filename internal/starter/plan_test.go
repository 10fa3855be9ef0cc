package starter

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/roadcall/dr/internal/depmap"
)

// plan reads only the topology: it never dials Temporal, and bad input exits 2 naming the field.
func TestPlanCommand(t *testing.T) {
	good := filepath.Join("..", "..", "examples", "roadcall-local.json")
	raw, err := os.ReadFile(good)
	if err != nil {
		t.Fatal(err)
	}
	var doc map[string]any
	if err := json.Unmarshal(raw, &doc); err != nil {
		t.Fatal(err)
	}
	doc["dns"].(map[string]any)["mode"] = "anycast"
	b, _ := json.Marshal(doc)
	badMode := filepath.Join(t.TempDir(), "bad-mode.json")
	if err := os.WriteFile(badMode, b, 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		args []string
		code int
		want []string
	}{
		{[]string{"plan"}, ExitBadInput, []string{"--topology is required"}},
		{[]string{"plan", "--topology", filepath.Join(t.TempDir(), "none.json")}, ExitBadInput, []string{"refused (nothing was started)", "no such file"}},
		{[]string{"plan", "--topology", badMode}, ExitBadInput, []string{`field "dns.mode": unknown DNS mode "anycast"`, "routing-control"}},
		{[]string{"plan", "--topology", good, "extra"}, ExitBadInput, []string{`unexpected argument "extra"`}},
		{[]string{"plan", "--topology", good}, ExitOK, []string{"RegionFailover us-east-1 → us-west-2", "STEP", "SENT TO", "PLANE", "NEEDS us-east-1", "communicate"}},
		{[]string{"help"}, ExitOK, []string{"plan --topology FILE [--json]"}},
	} {
		e, out, errOut := offline(t)
		code := Main(context.Background(), tc.args, e)
		for _, w := range tc.want {
			if code != tc.code || !strings.Contains(out.String()+errOut.String(), w) {
				t.Errorf("starter %s: exit %d (want %d), output lacks %q:\n%s%s", strings.Join(tc.args, " "), code, tc.code, w, out, errOut)
			}
		}
	}
}

func TestPlanJSONIsTheTable(t *testing.T) {
	e, out, _ := offline(t)
	if code := Main(context.Background(), []string{"plan", "--topology", filepath.Join("..", "..", "examples", "roadcall-local.json"), "--json"}, e); code != ExitOK {
		t.Fatalf("exit %d", code)
	}
	var p depmap.Plan
	if err := json.Unmarshal(out.Bytes(), &p); err != nil {
		t.Fatal(err)
	}
	want := depmap.Failover(mustTopo(t))
	if len(p.Calls) != len(want.Calls) || p.DNSMode != want.DNSMode || p.Calls[0].Step != "credentials" || p.Calls[len(p.Calls)-1].Step != "communicate" {
		t.Fatalf("plan JSON %+v", p)
	}
}
