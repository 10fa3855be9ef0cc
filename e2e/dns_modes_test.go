package e2e

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	commonpb "go.temporal.io/api/common/v1"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/converter"
	"go.temporal.io/sdk/temporal"

	"github.com/roadcall/dr/internal/awssim"
	"github.com/roadcall/dr/internal/render"
	"github.com/roadcall/dr/internal/starter"
	"github.com/roadcall/dr/internal/testenv"
	"github.com/roadcall/dr/internal/topology"
	"github.com/roadcall/dr/workflows"
)

// The three ways RegionFailover moves DNS, each run with us-east-1 out: Route 53's control plane is hosted
// there (Route 53 Developer Guide, "Resilience in Amazon Route 53"), so only the data plane — resolution,
// the health checkers and ARC's routing-control cluster — can move traffic.

// modeTopology writes the local example in the given DNS mode, for awssim to seed and the starter to send.
func modeTopology(t *testing.T, mode string) string {
	t.Helper()
	topo, err := topology.Load(filepath.Join(testenv.ModuleRoot(t), "examples/roadcall-local.json"))
	if err != nil {
		t.Fatal(err)
	}
	switch mode {
	case topology.DNSFailoverRecords:
		// Health-check driven: each record follows the HTTPS check of its region's endpoint.
		topo.DNS.Mode, topo.DNS.RoutingControls = mode, nil
		for r, rec := range topo.DNS.Records {
			rec.HealthCheckID = "hc-roadcall-api-" + r
			topo.DNS.Records[r] = rec
		}
		topo.HealthChecks = httpsChecks(topo.HealthChecks)
	case topology.DNSUpsert:
		topo.DNS.Mode, topo.DNS.Records, topo.DNS.RoutingControls = mode, nil, nil
		topo.HealthChecks = httpsChecks(topo.HealthChecks)
	}
	path := filepath.Join(t.TempDir(), "topology-"+mode+".json")
	if err := os.WriteFile(path, mustJSON(t, topo), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

func httpsChecks(hcs []topology.HealthCheck) []topology.HealthCheck {
	var out []topology.HealthCheck
	for _, hc := range hcs {
		if hc.Type != topology.HealthCheckRecoveryControl {
			out = append(out, hc)
		}
	}
	return out
}

func TestFailoverAndFailbackInEveryDNSModeWithUSEast1Out(t *testing.T) {
	for _, mode := range []string{topology.DNSRoutingControl, topology.DNSFailoverRecords} {
		t.Run(mode, func(t *testing.T) {
			env := testenv.New(t, testenv.Options{TimeScale: 0.002, Topology: modeTopology(t, mode)})
			env.Sim.AddFault(awssim.Fault{Kind: awssim.FaultRegionOutage, Region: env.Topology.PrimaryRegion})
			r := runStarter(ctxT(t, 2*time.Minute), env, "failover", "--topology", env.TopologyFile, "--auto-approve", "--follow", "--monitor-window", "1s")
			if r.code != starter.ExitOK {
				t.Fatalf("failover in %s mode: exit %d\n%s", mode, r.code, r.output())
			}
			// assertFailedOver also asks /_sim/dns, and in routing-control mode checks the controls.
			assertFailedOver(t, env)
			counts := journalCounts(env.Sim.Journal())
			if counts["ChangeResourceRecordSets"] != [2]int{} {
				t.Errorf("%s mode wrote to Route 53's control plane: %v", mode, counts["ChangeResourceRecordSets"])
			}
			arc := counts["UpdateRoutingControlStates"]
			switch mode {
			case topology.DNSRoutingControl:
				if want := dnsCutoverOps(t, env.Topology, 1)["UpdateRoutingControlStates"]; arc != want {
					t.Errorf("routing-control mode: UpdateRoutingControlStates %v, want %v", arc, want)
				}
			case topology.DNSFailoverRecords:
				if arc != [2]int{} {
					t.Errorf("failover-records mode made routing-control calls: %v", arc)
				}
			}

			env.Sim.ClearFaults()
			r = runStarter(ctxT(t, 2*time.Minute), env, "failback", "--topology", env.TopologyFile, "--auto-approve", "--follow", "--monitor-window", "1s")
			if r.code != starter.ExitOK {
				t.Fatalf("failback in %s mode: exit %d\n%s", mode, r.code, r.output())
			}
			if region := resolveDNS(t, env); region != env.Topology.PrimaryRegion {
				t.Fatalf("after the failback %s resolves to %s, want %s", env.Topology.DNS.RecordName, region, env.Topology.PrimaryRegion)
			}
			if mode == topology.DNSRoutingControl {
				assertRoutingControls(t, env, env.Topology.PrimaryRegion)
			}
		})
	}
}

// In upsert mode the DNS step needs ChangeResourceRecordSets, which Route 53 serves from us-east-1 only:
// with us-east-1 out the step pauses for an operator and says so, and nothing is half-written.
func TestFailoverUpsertPausesAtDNSWhileUSEast1IsOut(t *testing.T) {
	env := testenv.New(t, testenv.Options{TimeScale: 0.002, Topology: modeTopology(t, topology.DNSUpsert)})
	env.Sim.AddFault(awssim.Fault{Kind: awssim.FaultRegionOutage, Region: env.Topology.PrimaryRegion})
	id := workflows.WorkflowID("failover", env.Topology)
	r := runStarter(ctxT(t, time.Minute), env, "failover", "--topology", env.TopologyFile, "--auto-approve", "--monitor-window", "1s")
	if r.code != starter.ExitOK {
		t.Fatalf("failover start: exit %d\n%s", r.code, r.output())
	}
	st := waitStatus(t, env, id, 3*time.Minute, "dns paused for an operator", func(s workflows.Status) bool {
		return s.Phase == workflows.PhaseAwaitingOperator && len(s.PausedSteps) == 1 && s.PausedSteps[0] == "dns"
	})
	for _, want := range []string{"control plane", "us-east-1"} {
		if !strings.Contains(st.LastError, want) {
			t.Errorf("lastError lacks %q: %s", want, st.LastError)
		}
	}
	if n := journalCount(env.Sim.Journal(), "ChangeResourceRecordSets", true); len(n) != 0 {
		t.Errorf("a record changed while Route 53's control plane was out: %v", n)
	}
	op := runStarter(ctxT(t, time.Minute), env, "operator", "--workflow-id", id, "--action", "abort", "--operator", "alice")
	if op.code != starter.ExitOK {
		t.Fatalf("operator abort: exit %d\n%s", op.code, op.output())
	}
	rep := runResult[workflows.FailoverReport](ctxT(t, time.Minute), t, env, id)
	if rep.Outcome != workflows.PhaseAborted {
		t.Fatalf("after abort: %s\n%s", rep.Outcome, render.FailoverReport(rep))
	}
}

// Upsert mode's failback, once us-east-1 is back: the failover paused at DNS while Route 53's control plane
// was out, an operator retried it when the region returned (the UPSERT to us-west-2 then went through),
// and the failback's UPSERT brings resolution back to us-east-1.
func TestFailbackInUpsertModeReturnsDNSToUSEast1(t *testing.T) {
	env := testenv.New(t, testenv.Options{TimeScale: 0.002, Topology: modeTopology(t, topology.DNSUpsert)})
	primary, dr := env.Topology.PrimaryRegion, env.Topology.DRRegion
	env.Sim.AddFault(awssim.Fault{Kind: awssim.FaultRegionOutage, Region: primary})
	id := workflows.WorkflowID("failover", env.Topology)
	r := runStarter(ctxT(t, time.Minute), env, "failover", "--topology", env.TopologyFile, "--auto-approve", "--monitor-window", "1s")
	if r.code != starter.ExitOK {
		t.Fatalf("failover start: exit %d\n%s", r.code, r.output())
	}
	waitStatus(t, env, id, 3*time.Minute, "dns paused for an operator", func(s workflows.Status) bool {
		return s.Phase == workflows.PhaseAwaitingOperator && len(s.PausedSteps) == 1 && s.PausedSteps[0] == "dns"
	})

	env.Sim.ClearFaults()
	if op := runStarter(ctxT(t, time.Minute), env, "operator", "--workflow-id", id, "--action", "retry", "--step", "dns", "--operator", "alice"); op.code != starter.ExitOK {
		t.Fatalf("operator retry: exit %d\n%s", op.code, op.output())
	}
	rep := runResult[workflows.FailoverReport](ctxT(t, 2*time.Minute), t, env, id)
	if rep.Outcome != workflows.PhaseCompleted {
		t.Fatalf("failover after the retry: %s\n%s", rep.Outcome, render.FailoverReport(rep))
	}
	if region := resolveDNS(t, env); region != dr {
		t.Fatalf("after the failover %s resolves to %s, want %s", env.Topology.DNS.RecordName, region, dr)
	}

	r = runStarter(ctxT(t, 2*time.Minute), env, "failback", "--topology", env.TopologyFile, "--auto-approve", "--follow", "--monitor-window", "1s")
	if r.code != starter.ExitOK {
		t.Fatalf("failback in upsert mode: exit %d\n%s", r.code, r.output())
	}
	if region := resolveDNS(t, env); region != primary {
		t.Fatalf("after the failback %s resolves to %s, want %s", env.Topology.DNS.RecordName, region, primary)
	}
	zone := env.Topology.DNS.HostedZoneID
	if n := journalCount(env.Sim.Journal(), "ChangeResourceRecordSets", true)[zone]; n != 2 {
		t.Errorf("ChangeResourceRecordSets changed zone %s %d times, want 2 (the failover's UPSERT and the failback's): %v", zone, n,
			journalCount(env.Sim.Journal(), "ChangeResourceRecordSets", true))
	}
}

// A topology that could not fail over is refused before anything starts, with the field named: the
// starter exits 2, and RegionFailover given the same topology directly (bypassing the starter's checks)
// fails with a non-retryable InvalidRequest naming it before any AWS call, a read included.
func TestDNSModeBadInputRefused(t *testing.T) {
	env := testenv.New(t, testenv.Options{})
	ctx := ctxT(t, 3*time.Minute)
	before := lastRequest(env)
	for name, c := range map[string]struct {
		edit  func(m map[string]any)
		field string
	}{
		"unknown mode": {func(m map[string]any) { m["dns"].(map[string]any)["mode"] = "telepathy" }, "dns.mode"},
		"no routing control for DR": {func(m map[string]any) {
			delete(m["dns"].(map[string]any)["routingControls"].(map[string]any)["controls"].(map[string]any), "us-west-2")
		}, "dns.routingControls.controls.us-west-2"},
		"a cluster with no endpoints": {func(m map[string]any) {
			m["dns"].(map[string]any)["routingControls"].(map[string]any)["endpoints"] = []any{}
		}, "dns.routingControls.endpoints"},
	} {
		t.Run(name, func(t *testing.T) {
			body := editTopology(t, env.Topology, c.edit)
			path := tempFile(t, "topology.json", body)
			r := runStarter(ctxT(t, 30*time.Second), nil, "failover", "--topology", path, "--auto-approve")
			if r.code != starter.ExitBadInput || !strings.Contains(r.stderr, c.field) {
				t.Fatalf("starter failover: exit %d, want %d naming %s\n%s", r.code, starter.ExitBadInput, c.field, r.output())
			}

			req := append(append([]byte(`{"autoApprove":true,"initiator":"e2e","topology":`), body...), '}')
			payload := &commonpb.Payload{Metadata: map[string][]byte{converter.MetadataEncoding: []byte(converter.MetadataEncodingJSON)}, Data: req}
			run, err := env.Temporal.Client.ExecuteWorkflow(ctx, client.StartWorkflowOptions{ID: "bad-dns-" + strings.ReplaceAll(name, " ", "-"),
				TaskQueue: workflows.TaskQueue}, "RegionFailover", converter.NewRawValue(payload))
			if err != nil {
				t.Fatal(err)
			}
			err = run.Get(ctx, nil)
			var ae *temporal.ApplicationError
			if !errors.As(err, &ae) {
				t.Fatalf("workflow: want an application error, got %v", err)
			}
			if ae.Type() != workflows.ErrInvalidRequest || !ae.NonRetryable() || !strings.Contains(ae.Message(), c.field) {
				t.Fatalf("workflow: want a non-retryable %s naming %s, got type %q non-retryable %v: %s", workflows.ErrInvalidRequest, c.field, ae.Type(), ae.NonRetryable(), ae.Message())
			}
			if acts := scheduledActivities(ctx, t, env, run.GetID(), run.GetRunID()); len(acts) != 0 {
				t.Fatalf("the refused run scheduled activities %v", acts)
			}
		})
	}
	if j := env.Sim.Journal(); len(j) != 0 {
		t.Fatalf("a refused topology reached AWS: %v", j)
	}
	if reqs := env.Sim.Requests(before); len(reqs) != 0 {
		t.Fatalf("a refused topology sent AWS requests: %+v", reqs)
	}
}

// lastRequest is the seq of the last AWS request awssim has logged, 0 for none.
func lastRequest(env *testenv.Env) int64 {
	reqs := env.Sim.Requests(0)
	if len(reqs) == 0 {
		return 0
	}
	return reqs[len(reqs)-1].Seq
}
