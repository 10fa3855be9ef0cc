package e2e

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/roadcall/dr/internal/depmap"
	"github.com/roadcall/dr/internal/starter"
	"github.com/roadcall/dr/internal/testenv"
)

// TestPlanListsEveryChangeTheFailoverMakes: `starter plan` is only worth reading at 3 a.m. if it is the
// truth. A routing-control failover with us-east-1 out changes AWS only through calls the table lists,
// each sent to a region the table names, and none of them needs the primary region.
func TestPlanListsEveryChangeTheFailoverMakes(t *testing.T) {
	env := testenv.New(t, testenv.Options{TimeScale: 0.002})
	out := runStarter(ctxT(t, 30*time.Second), nil, "plan", "--topology", env.TopologyFile)
	if out.code != starter.ExitOK || !strings.Contains(out.stdout, "UpdateRoutingControlStates") {
		t.Fatalf("starter plan: exit %d\n%s", out.code, out.output())
	}
	plan := depmap.Failover(env.Topology)
	failOver(t, env)

	journal := env.Sim.Journal()
	if len(journal) == 0 {
		t.Fatal("the failover changed nothing")
	}
	for _, j := range journal {
		var row *depmap.Call
		for i, c := range plan.Calls {
			if c.Service == j.Service && c.Operation == j.Operation && (slices.Contains(c.Regions, j.Region) || slices.Contains(c.Regions, depmap.Global)) {
				row = &plan.Calls[i]
				break
			}
		}
		if row == nil {
			t.Errorf("the failover called %s %s in %s (on %s), which the plan does not list", j.Service, j.Operation, j.Region, j.Resource)
			continue
		}
		if row.NeedsPrimary {
			t.Errorf("%s %s is on the failover's path and needs %s: %+v", j.Service, j.Operation, env.Topology.PrimaryRegion, row)
		}
	}
}
