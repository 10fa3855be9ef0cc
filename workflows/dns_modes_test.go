package workflows

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/mock"
	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/testsuite"
	"go.temporal.io/sdk/workflow"

	"github.com/roadcall/dr/activities"
	"github.com/roadcall/dr/internal/topology"
)

const (
	arcPrimary = "arn:aws:route53-recovery-control::123456789012:controlpanel/roadcall/routingcontrol/roadcall-primary"
	arcDR      = "arn:aws:route53-recovery-control::123456789012:controlpanel/roadcall/routingcontrol/roadcall-dr"
)

// modeTopology is the local topology in a DNS mode: failover records bound to health checks and, for
// routing-control, the ARC cluster with its five endpoints and RECOVERY_CONTROL health checks.
func modeTopology(t *testing.T, mode string) topology.Topology {
	t.Helper()
	topo := upsertTopology(t)
	p, d := topo.PrimaryRegion, topo.DRRegion
	topo.DNS.Mode = mode
	hcP, hcD := "hc-roadcall-api-"+p, "hc-roadcall-api-"+d
	if mode == topology.DNSRoutingControl {
		hcP, hcD = "hc-roadcall-rc-"+p, "hc-roadcall-rc-"+d
		topo.HealthChecks = []topology.HealthCheck{
			{ID: hcP, Region: p, Type: topology.HealthCheckRecoveryControl, RoutingControlARN: arcPrimary},
			{ID: hcD, Region: d, Type: topology.HealthCheckRecoveryControl, RoutingControlARN: arcDR}}
		topo.DNS.RoutingControls = &topology.RoutingControls{ClusterARN: "arn:aws:route53-recovery-control::123456789012:cluster/roadcall",
			Endpoints: []topology.ClusterEndpoint{{Region: "us-east-1"}, {Region: "us-west-2"}, {Region: "eu-west-1"}, {Region: "ap-northeast-1"}, {Region: "ap-southeast-2"}},
			Controls:  map[string]string{p: arcPrimary, d: arcDR}, SafetyRule: &topology.SafetyRule{ARN: "arn:aws:route53-recovery-control::123456789012:safetyrule/one-on", MinOn: 1}}
	}
	topo.DNS.Records = map[string]topology.FailoverRecord{
		p: {SetIdentifier: "Primary-Region", Failover: "PRIMARY", HealthCheckID: hcP},
		d: {SetIdentifier: "DR-Region", Failover: "SECONDARY", HealthCheckID: hcD}}
	require.NoError(t, topo.Validate())
	return topo
}

// dnsWorld models Route 53's data plane for the mocks: the routing controls and the primary's HTTPS
// health check decide which failover record answers, as awssim's /_sim/dns does.
type dnsWorld struct {
	mu             sync.Mutex
	topo           topology.Topology
	on             map[string]bool
	primaryHealthy bool
	sets           []activities.SetRoutingControlsInput
	waits          int
}

func newDNSWorld(topo topology.Topology, primaryOn bool) *dnsWorld {
	return &dnsWorld{topo: topo, on: map[string]bool{topo.PrimaryRegion: primaryOn, topo.DRRegion: !primaryOn}, primaryHealthy: primaryOn}
}

func (w *dnsWorld) set(primaryHealthy bool) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.primaryHealthy = primaryHealthy
}

func (w *dnsWorld) resolve() activities.Resolution {
	p, d := w.topo.PrimaryRegion, w.topo.DRRegion
	up, why := w.primaryHealthy, "health check hc-roadcall-api-"+p
	if w.topo.DNS.Mode == topology.DNSRoutingControl {
		up, why = w.on[p], "routing control roadcall-primary"
	}
	if up {
		return activities.Resolution{Region: p, Reason: "PRIMARY healthy: " + why + " passes", Source: "awssim"}
	}
	return activities.Resolution{Region: d, Reason: "PRIMARY unhealthy: " + why + " fails", Source: "awssim"}
}

func (w *dnsWorld) states() []activities.ControlState {
	st := func(r, arn string) activities.ControlState {
		s := "Off"
		if w.on[r] {
			s = "On"
		}
		return activities.ControlState{Region: r, ARN: arn, State: s}
	}
	return []activities.ControlState{st(w.topo.PrimaryRegion, arcPrimary), st(w.topo.DRRegion, arcDR)}
}

func (w *dnsWorld) mock(e *testsuite.TestWorkflowEnvironment) {
	eps := []activities.ClusterEndpoint{{Region: "us-east-1"}, {Region: "us-west-2"}}
	e.OnActivity(a.SetRoutingControls, mock.Anything, mock.Anything).Return(func(_ context.Context, in activities.SetRoutingControlsInput) (activities.SetRoutingControlsResult, error) {
		w.mu.Lock()
		defer w.mu.Unlock()
		w.sets = append(w.sets, in)
		before := []activities.ControlState{}
		for _, s := range w.states() {
			if s.Region == in.On.Region {
				before = append([]activities.ControlState{s}, before...)
			} else {
				before = append(before, s)
			}
		}
		already := w.on[in.On.Region] && !w.on[in.Off.Region]
		w.on[in.On.Region], w.on[in.Off.Region] = true, false
		return activities.SetRoutingControlsResult{Endpoint: eps[1], Before: before, AlreadyInPlace: already, Unanswered: []string{"us-east-1: dial tcp: connection refused"}}, nil
	})
	e.OnActivity(a.GetRoutingControlStates, mock.Anything, mock.Anything).Return(func(_ context.Context, in activities.RoutingControlsInput) (activities.RoutingControlStates, error) {
		w.mu.Lock()
		defer w.mu.Unlock()
		return activities.RoutingControlStates{Endpoint: eps[1], States: w.states(), Unanswered: []string{"us-east-1: dial tcp: connection refused"}}, nil
	})
	e.OnActivity(a.Resolve, mock.Anything, mock.Anything).Return(func(_ context.Context, q activities.ResolveQuery) (activities.Resolution, error) {
		w.mu.Lock()
		defer w.mu.Unlock()
		return w.resolve(), nil
	})
	e.OnActivity(a.WaitResolution, mock.Anything, mock.Anything).After(30 * time.Second).Return(func(_ context.Context, in activities.ResolutionWait) (activities.ResolutionState, error) {
		w.mu.Lock()
		defer w.mu.Unlock()
		w.waits++
		res := w.resolve()
		if res.Region != in.Want {
			return activities.ResolutionState{}, temporal.NewNonRetryableApplicationError(fmt.Sprintf("%s %s still resolves to %s after %s, not %s", in.Name, in.Type, res, in.Within, in.Want),
				activities.ErrResolutionNotMoved, nil, res)
		}
		return activities.ResolutionState{Resolution: res}, nil
	})
}

func (w *dnsWorld) counts() (sets, waits int) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return len(w.sets), w.waits
}

func stepNamed(steps []StepRecord, name string) StepRecord {
	for _, st := range steps {
		if st.Name == name {
			return st
		}
	}
	return StepRecord{}
}

func TestFailoverRoutingControlMovesTrafficThroughTheCluster(t *testing.T) {
	s := newFailoverFake(t)
	s.topo = modeTopology(t, topology.DNSRoutingControl)
	w := newDNSWorld(s.topo, true)
	w.mock(s.env)
	var atGate Status
	s.env.RegisterDelayedCallback(func() { atGate = s.status() }, time.Minute)
	s.signal(2*time.Minute, SignalApprove, approve("alice"))
	rep := s.run(FailoverRequest{MonitorWindow: topology.Duration(5 * time.Minute)})

	require.Equal(t, PhaseCompleted, rep.Outcome, rep.Steps)
	require.Zero(t, s.count("UpsertFailoverRecord"), "no Route 53 API call moves traffic")
	sets, waits := w.counts()
	require.Equal(t, 1, sets)
	require.Equal(t, 1, waits)
	require.Equal(t, activities.RoutingControl{Region: "us-west-2", ARN: arcDR}, w.sets[0].On)
	require.Equal(t, activities.RoutingControl{Region: "us-east-1", ARN: arcPrimary}, w.sets[0].Off)
	require.Len(t, w.sets[0].Endpoints, 5)
	require.Contains(t, rep.Actions, "route53-recovery-cluster UpdateRoutingControlStates via endpoint us-west-2: us-west-2 ON, us-east-1 OFF (was us-west-2 OFF, us-east-1 ON)")
	dns := stepNamed(rep.Steps, "dns")
	require.Equal(t, OutcomeOK, dns.Outcome)
	require.Contains(t, dns.Detail, "routing controls us-west-2 ON, us-east-1 OFF via cluster endpoint us-west-2")
	require.Contains(t, dns.Detail, "resolves to us-west-2: PRIMARY unhealthy: routing control roadcall-primary fails")
	// 2 min at the gate + 20 min activation + 30 s until resolution answers DR + 5 min monitoring.
	require.Equal(t, 27*time.Minute+30*time.Second, rep.RTO)

	require.NotNil(t, rep.Assessment.RoutingControls, "the assessment reads the routing controls through the cluster")
	require.Contains(t, atGate.PendingGate.Summary, "ARC routing controls (via cluster endpoint us-west-2): us-east-1 ON, us-west-2 OFF")
	require.Contains(t, atGate.PendingGate.Summary, "turn the ARC routing control of us-west-2 ON and us-east-1's OFF")
	require.NotContains(t, atGate.PendingGate.Summary, "WARNING")
}

func TestFailoverRoutingControlAlreadyInPlaceChangesNothing(t *testing.T) {
	s := newFailoverFake(t)
	s.topo = modeTopology(t, topology.DNSRoutingControl)
	w := newDNSWorld(s.topo, false)
	w.mock(s.env)
	rep := s.run(FailoverRequest{Common: Common{AutoApprove: true}})
	require.Equal(t, PhaseCompleted, rep.Outcome, rep.Steps)
	for _, act := range rep.Actions {
		require.NotContains(t, act, "route53-recovery-cluster", "already in place: no change reported")
	}
	require.Contains(t, stepNamed(rep.Steps, "dns").Detail, "already in place")
}

func TestFailoverRecordsCompletesByObservation(t *testing.T) {
	s := newFailoverFake(t)
	s.topo = modeTopology(t, topology.DNSFailoverRecords)
	w := newDNSWorld(s.topo, false)
	w.mock(s.env)
	var atGate Status
	s.env.RegisterDelayedCallback(func() { atGate = s.status() }, time.Minute)
	s.signal(2*time.Minute, SignalApprove, approve("alice"))
	rep := s.run(FailoverRequest{})
	require.Equal(t, PhaseCompleted, rep.Outcome, rep.Steps)
	require.Zero(t, s.count("UpsertFailoverRecord"))
	sets, waits := w.counts()
	require.Zero(t, sets, "failover-records makes no write")
	require.Equal(t, 1, waits)
	require.Contains(t, stepNamed(rep.Steps, "dns").Detail, "no DNS write (failover-records): api.roadcall.example.com resolves to us-west-2")
	require.Contains(t, atGate.PendingGate.Summary, "write no DNS change and wait until the health checks make api.roadcall.example.com resolve to us-west-2")
	for _, act := range rep.Actions {
		require.NotContains(t, act, "route53")
	}
}

// A partial failure: the primary still answers its health check, so the failover records keep serving
// it. The DNS step pauses with why and what would move traffic; a retry once the check fails completes,
// and an abort stops the run.
func TestFailoverRecordsPartialFailurePausesForTheOperator(t *testing.T) {
	for _, action := range []string{"retry", "abort"} {
		t.Run(action, func(t *testing.T) {
			s := newFailoverFake(t)
			s.topo = modeTopology(t, topology.DNSFailoverRecords)
			w := newDNSWorld(s.topo, true)
			w.mock(s.env)
			var paused Status
			s.env.RegisterDelayedCallback(func() { paused = s.status(); w.set(false) }, 30*time.Minute)
			s.signal(31*time.Minute, SignalOperator, OperatorAction{Action: action, Step: "dns", Operator: "alice"})
			rep := s.run(FailoverRequest{Common: Common{AutoApprove: true}, DNSWait: topology.Duration(2 * time.Minute)})

			require.Equal(t, PhaseAwaitingOperator, paused.Phase)
			require.Equal(t, []string{"dns"}, paused.PausedSteps)
			for _, want := range []string{"dns: api.roadcall.example.com A still resolves to us-east-1 (PRIMARY healthy: health check hc-roadcall-api-us-east-1 passes) after 2m0s, not us-west-2",
				"us-east-1 still answers healthy, a partial failure", "routing control (dns.mode routing-control)", "Route 53's control plane in us-east-1 (dns.mode upsert)"} {
				require.Contains(t, paused.LastError, want)
			}
			_, waits := w.counts()
			if action == "abort" {
				require.Equal(t, PhaseAborted, rep.Outcome)
				require.Equal(t, 1, waits)
				require.Nil(t, rep.Verify)
				return
			}
			require.Equal(t, PhaseCompleted, rep.Outcome, rep.Steps)
			require.Equal(t, 2, waits)
			dns := stepNamed(rep.Steps, "dns")
			require.Equal(t, 2, dns.Attempts)
			require.Contains(t, dns.Detail, "resolves to us-west-2")
		})
	}
}

// us-east-1 is out, Route 53's control plane with it: the approvers are warned before they approve, the
// assessment judges the health checks from the health URLs, and the UPSERT pauses with what it needs and
// the ways out. A retry once Route 53 answers completes.
func TestFailoverUpsertPausesWhileRoute53ControlPlaneIsOut(t *testing.T) {
	s := newFailoverFake(t)
	require.True(t, s.topo.DependsOnPrimaryControlPlane())
	var mu sync.Mutex
	down := true
	isDown := func() bool { mu.Lock(); defer mu.Unlock(); return down }
	cpErr := func(op string) error {
		return temporal.NewApplicationError("route53:"+op+": Route 53's control plane (us-east-1) does not answer: dial tcp: connection refused", activities.ErrControlPlaneUnreachable)
	}
	var hcReads []activities.HealthCheckRef
	s.env.OnActivity(a.GetHealthCheckStatus, mock.Anything, mock.Anything).Return(func(_ context.Context, in activities.HealthCheckRef) (activities.HealthCheckInfo, error) {
		mu.Lock()
		hcReads = append(hcReads, in)
		mu.Unlock()
		return activities.HealthCheckInfo{}, cpErr("GetHealthCheckStatus")
	})
	upserts := 0
	s.env.OnActivity(a.UpsertFailoverRecord, mock.Anything, mock.Anything).Return(func(context.Context, activities.DNSCutoverInput) (activities.DNSCutoverResult, error) {
		mu.Lock()
		upserts++
		mu.Unlock()
		if isDown() {
			return activities.DNSCutoverResult{}, cpErr("ListResourceRecordSets")
		}
		return activities.DNSCutoverResult{ChangeID: "C9"}, nil
	})
	var atGate, paused Status
	s.env.RegisterDelayedCallback(func() { atGate = s.status() }, time.Minute)
	s.signal(2*time.Minute, SignalApprove, approve("alice"))
	s.env.RegisterDelayedCallback(func() {
		paused = s.status()
		mu.Lock()
		down = false
		mu.Unlock()
	}, 40*time.Minute)
	s.signal(41*time.Minute, SignalOperator, OperatorAction{Action: "retry", Step: "dns", Operator: "alice"})
	rep := s.run(FailoverRequest{})

	summary := atGate.PendingGate.Summary
	require.Contains(t, summary, "WARNING: dns.mode upsert changes api.roadcall.example.com through Route 53's control plane, hosted in us-east-1, the primary region")
	require.Contains(t, summary, "Accelerated recovery (dns.acceleratedRecovery) is off")
	require.Contains(t, summary, "Route 53's API (its control plane, in us-east-1) did not answer GetHealthCheckStatus for 2 health check(s): they were judged from the health-URL probes")
	hcs := rep.Assessment.HealthChecks
	require.False(t, hcs[0].OK, "the primary's health URL fails")
	require.Contains(t, hcs[0].Observed, "judged from the health URL: failing")
	require.True(t, hcs[1].OK, "DR's health URL answers")

	require.Equal(t, PhaseAwaitingOperator, paused.Phase)
	require.Equal(t, []string{"dns"}, paused.PausedSteps)
	for _, want := range []string{"the UPSERT of api.roadcall.example.com needs Route 53's control plane, hosted in us-east-1, and it does not answer",
		activities.ErrControlPlaneUnreachable, "accelerated recovery (dns.acceleratedRecovery) is off for zone Z0ROADCALLEXAMPLE", "routing controls (dns.mode routing-control)"} {
		require.Contains(t, paused.LastError, want)
	}
	require.Equal(t, PhaseCompleted, rep.Outcome, rep.Steps)
	require.Equal(t, 6, upserts, "five attempts while Route 53 was out, one after the retry")
	// The assessment takes the unreachable control plane as its answer on the first attempt, each read
	// bounded by the probe timeout: its fallback does not need Route 53, and retries would hold the run.
	require.Len(t, hcReads, 2, "one attempt per health check")
	for _, in := range hcReads {
		require.Equal(t, 5*time.Second, in.Timeout)
	}
}

func TestControlPlaneMessagesSayWhetherAcceleratedRecoveryHelps(t *testing.T) {
	topo := upsertTopology(t)
	topo.DNS.AcceleratedRecovery = true
	msg := controlPlaneMessage(topo, "Route53ControlPlaneUnreachable: refused")
	require.Contains(t, msg, "accelerated recovery (dns.acceleratedRecovery) is on for zone Z0ROADCALLEXAMPLE, so record changes answer again about 60 minutes into the impairment: retry then")
	require.Contains(t, controlPlaneWarning(topo), "Accelerated recovery (dns.acceleratedRecovery) is on")
	for _, mode := range []string{topology.DNSRoutingControl, topology.DNSFailoverRecords} {
		require.Empty(t, controlPlaneWarning(modeTopology(t, mode)), mode)
	}
	topo.PrimaryRegion, topo.DRRegion = topo.DRRegion, topo.PrimaryRegion
	require.Empty(t, controlPlaneWarning(topo), "a primary outside us-east-1 does not take Route 53's control plane down with it")
}

// Runs recorded before dnsModes (the golden histories) keep the UPSERT whatever the topology says.
func TestFailoverBeforeDNSModesVersionUpserts(t *testing.T) {
	s := newFailoverFake(t)
	s.topo = modeTopology(t, topology.DNSRoutingControl)
	s.env.OnGetVersion(string(dnsModes), workflow.DefaultVersion, 1).Return(workflow.DefaultVersion)
	w := newDNSWorld(s.topo, true)
	w.mock(s.env)
	var atGate Status
	s.env.RegisterDelayedCallback(func() { atGate = s.status() }, time.Minute)
	s.signal(2*time.Minute, SignalApprove, approve("alice"))
	rep := s.run(FailoverRequest{})
	require.Equal(t, PhaseCompleted, rep.Outcome, rep.Steps)
	require.Equal(t, 1, s.count("UpsertFailoverRecord"))
	sets, waits := w.counts()
	require.Zero(t, sets)
	require.Zero(t, waits)
	require.Nil(t, rep.Assessment.RoutingControls)
	require.Contains(t, atGate.PendingGate.Summary, "point api.roadcall.example.com at "+s.topo.DNS.Targets[s.topo.DRRegion].DNSName)
}

func TestFailbackRoutingControlTurnsThePrimaryBackOn(t *testing.T) {
	s := newFailbackFake(t)
	s.topo = modeTopology(t, topology.DNSRoutingControl)
	w := newDNSWorld(s.topo, false)
	w.mock(s.env)
	// The primary's RECOVERY_CONTROL check fails because its control is OFF, not because the primary is
	// unhealthy: it must not refuse the failback.
	s.env.OnActivity(a.GetHealthCheckStatus, mock.Anything, mock.Anything).Return(func(_ context.Context, in activities.HealthCheckRef) (activities.HealthCheckInfo, error) {
		ok := !strings.Contains(in.ID, s.topo.PrimaryRegion)
		return activities.HealthCheckInfo{ID: in.ID, Healthy: ok, Checkers: 8}, nil
	})
	var atGate Status
	s.env.RegisterDelayedCallback(func() { atGate = s.status() }, 10*time.Minute)
	s.signal(11*time.Minute, SignalApprove, Approval{Gate: GateFailback, Decision: "approve", Approver: "alice"})
	rep := s.run(FailbackRequest{MonitorWindow: topology.Duration(time.Minute)})
	require.Equal(t, PhaseCompleted, rep.Outcome, rep.Steps)
	require.Zero(t, s.count("UpsertFailoverRecord"))
	require.Equal(t, Pass, rep.Precheck[0].Status, rep.Precheck[0])
	require.Equal(t, checkRecord, rep.Precheck[0].Check)
	require.Contains(t, rep.Precheck[0].Observed, "routing controls us-east-1 OFF, us-west-2 ON")
	for _, row := range rep.Precheck {
		require.Equal(t, Pass, row.Status, row)
	}
	require.Len(t, w.sets, 1)
	require.Equal(t, "us-east-1", w.sets[0].On.Region)
	require.Equal(t, "us-west-2", w.sets[0].Off.Region)
	require.Contains(t, rep.Actions, "route53-recovery-cluster UpdateRoutingControlStates via endpoint us-west-2: us-east-1 ON, us-west-2 OFF (was us-east-1 OFF, us-west-2 ON)")
	require.Contains(t, stepNamed(rep.Steps, "dns").Detail, "resolves to us-east-1")
	require.Contains(t, atGate.PendingGate.Summary, "turn the ARC routing control of us-east-1 ON and us-west-2's OFF")
}

func TestFailbackRoutingControlRefusesWhenNoFailoverHappened(t *testing.T) {
	s := newFailbackFake(t)
	s.topo = modeTopology(t, topology.DNSRoutingControl)
	w := newDNSWorld(s.topo, true)
	w.mock(s.env)
	s.primaryWriter, s.drStandby = true, true
	s.execute(FailbackRequest{Common: Common{AutoApprove: true}})
	err := s.env.GetWorkflowError()
	require.Error(t, err)
	require.Contains(t, err.Error(), "no failover has happened, or none of it is left to undo")
	require.Contains(t, err.Error(), "routing controls us-east-1 ON, us-west-2 OFF")
	require.Zero(t, s.mutations())
	sets, _ := w.counts()
	require.Zero(t, sets)
}

// In failover-records mode traffic came back by itself once the primary's health check passed: the
// failback writes nothing, and since resolution already answers the primary it has no DNS move to make.
func TestFailbackFailoverRecordsWaitsForThePrimary(t *testing.T) {
	s := newFailbackFake(t)
	s.topo = modeTopology(t, topology.DNSFailoverRecords)
	w := newDNSWorld(s.topo, true)
	w.mock(s.env)
	rep := s.run(FailbackRequest{Common: Common{AutoApprove: true}, MonitorWindow: topology.Duration(time.Minute)})
	require.Equal(t, PhaseCompleted, rep.Outcome, rep.Steps)
	require.Zero(t, s.count("UpsertFailoverRecord"))
	sets, waits := w.counts()
	require.Zero(t, sets)
	require.Zero(t, waits, "resolution already answers the primary")
	require.NotContains(t, stepNames(rep.Steps), "dns")
	require.False(t, rep.Plan.DNS)
	require.Contains(t, rep.Precheck[0].Observed, "resolves to us-east-1")
	for _, act := range rep.Actions {
		require.False(t, strings.HasPrefix(act, "route53"), act)
	}
}

// A failback in failover-records mode whose primary does not answer resolution pauses with what brings
// traffic back.
func TestFailbackFailoverRecordsPausesUntilThePrimaryAnswers(t *testing.T) {
	s := newFailbackFake(t)
	s.topo = modeTopology(t, topology.DNSFailoverRecords)
	w := newDNSWorld(s.topo, false)
	w.mock(s.env)
	var paused Status
	s.env.RegisterDelayedCallback(func() { paused = s.status(); w.set(true) }, 40*time.Minute)
	s.signal(41*time.Minute, SignalOperator, OperatorAction{Action: "retry", Step: "dns", Operator: "alice"})
	rep := s.run(FailbackRequest{Common: Common{AutoApprove: true}, MonitorWindow: topology.Duration(time.Minute)})
	require.Equal(t, []string{"dns"}, paused.PausedSteps)
	require.Contains(t, paused.LastError, "traffic comes back to us-east-1 only when its health check passes again")
	require.Equal(t, PhaseCompleted, rep.Outcome, rep.Steps)
}
