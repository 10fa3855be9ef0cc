package e2e

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/roadcall/dr/internal/awssim"
	"github.com/roadcall/dr/internal/depmap"
	"github.com/roadcall/dr/internal/starter"
	"github.com/roadcall/dr/internal/testenv"
)

// TestPlanListsEveryChangeTheFailoverMakes: `starter plan` is only worth reading at 3 a.m. if it is the
// truth. A routing-control failover with us-east-1 out changes AWS only through calls the table lists,
// each sent to a region the table names, and none of them needs the primary region; its reads too (the
// request log), each on the plane the table names.
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
	planCoversRequests(t, env, plan)
}

// planCoversRequests extends the check to reads, which the journal does not keep: every AWS request the
// failover sent with the primary out (awssim's request log) is a row of the plan, in a region the row names
// and on the plane it names; every unconditional AWS row was sent; and nothing the failover waited on went
// to the primary: what was sent there went unanswered and belongs to a row the plan marks tolerated or
// tries elsewhere too.
func planCoversRequests(t *testing.T, env *testenv.Env, plan depmap.Plan) {
	t.Helper()
	primary := env.Topology.PrimaryRegion
	reqs := env.Sim.Requests(0)
	if len(reqs) == 0 {
		t.Fatal("awssim logged no request")
	}
	matches := func(c depmap.Call, r awssim.RequestEntry) bool {
		return c.Service == r.Service && c.Operation == r.Operation && slices.Contains(c.Regions, r.Region)
	}
	seen := make([]int, len(plan.Calls))
	answered := make([]int, len(plan.Calls))
	for _, r := range reqs {
		// Steps share calls (the assessment's Scan and verify's, three Publishes): a request counts for
		// every row it could be, since the log cannot tell which step sent it.
		var rows []int
		for i, c := range plan.Calls {
			if matches(c, r) {
				rows = append(rows, i)
			}
		}
		if len(rows) == 0 {
			t.Errorf("the failover sent %s %s to %s, which the plan does not list", r.Service, r.Operation, r.Region)
			continue
		}
		tolerated := false
		for _, i := range rows {
			row := plan.Calls[i]
			seen[i]++
			if r.Reachable && r.Error == "" {
				answered[i]++
			}
			if row.Plane != r.Plane {
				t.Errorf("the plan puts %s %s (%s) on the %s plane; awssim on the %s plane", r.Service, r.Operation, row.Step, row.Plane, r.Plane)
			}
			tolerated = tolerated || row.Tolerated || len(row.Regions) > 1
		}
		if r.HostedIn == primary {
			if r.Reachable {
				t.Errorf("%s %s reached %s, which was out: %+v", r.Service, r.Operation, primary, r)
			}
			if !tolerated {
				t.Errorf("%s %s went to %s and the plan does not say the failover goes on without it", r.Service, r.Operation, primary)
			}
		}
	}
	toPrimary, healthReads := 0, 0
	for _, r := range reqs {
		if r.HostedIn == primary {
			toPrimary++
		}
		if r.Service == "route53" && r.Operation == "GetHealthCheckStatus" {
			healthReads++
		}
	}
	if toPrimary == 0 {
		t.Errorf("no request went to %s: the probes of the primary were not sent, so the check above proves nothing", primary)
	}
	// One probe per health check; Go's HTTP client may send a GET again on a pooled connection closed
	// unanswered (seen up to 11 for 4 checks on a loaded machine), but never the describe retries (5 attempts
	// of 3 SDK tries each, 60 for 4 checks) an unreachable control plane once got.
	if n := len(env.Topology.HealthChecks); healthReads > 3*n {
		t.Errorf("Route 53 GetHealthCheckStatus was sent %d times for %d health checks while its control plane was out", healthReads, n)
	}
	for i, c := range plan.Calls {
		switch {
		case c.NeedsPrimary:
			t.Errorf("the plan says the failover needs %s for %s %s", primary, c.Service, c.Operation)
		case c.When != "" || slices.Contains([]string{depmap.ServiceHTTP, depmap.ServiceDNS, depmap.ServicePostgres, depmap.ServiceExec}, c.Service):
			// Conditional rows, and calls that are not AWS requests (health URLs, resolution), are not in the request log.
		case seen[i] == 0:
			t.Errorf("the plan lists %s %s in %s, which the failover never sent", c.Service, c.Operation, c.Where())
		case !c.Tolerated && answered[i] == 0:
			t.Errorf("%s %s in %s never got an answer, yet the plan says the failover needs it", c.Service, c.Operation, c.Where())
		}
	}
}
