package activities

import (
	"context"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/temporal"

	"github.com/roadcall/dr/internal/awsclient"
	"github.com/roadcall/dr/internal/awssim"
	"github.com/roadcall/dr/internal/topology"
)

// foSim serves an awssim seeded from the local topology with its health URLs pointing at it, for the
// RegionFailover activities. scale is awssim's time scale (0: operations finish on the next read).
func foSim(t *testing.T, scale float64, edits ...func(*topology.Topology)) (*awssim.Server, *Activities, topology.Topology) {
	t.Helper()
	topo, err := topology.Load("../examples/roadcall-local.json")
	require.NoError(t, err)
	for _, e := range edits {
		e(&topo)
	}
	sim := awssim.New(topo, awssim.Options{TimeScale: scale})
	hs := httptest.NewServer(sim)
	t.Cleanup(hs.Close)
	for _, r := range topo.Regions() {
		topo.API.HealthURLs[r] = hs.URL + "/_sim/health/" + r
	}
	f, err := awsclient.New(context.Background(), awsclient.Static(hs.URL))
	require.NoError(t, err)
	acts := New(f)
	acts.PollInterval = 5 * time.Millisecond
	return sim, acts, topo
}

// foJournal returns the journal entries of one operation.
func foJournal(sim *awssim.Server, op string) []awssim.JournalEntry {
	var out []awssim.JournalEntry
	for _, e := range sim.Journal() {
		if e.Operation == op {
			out = append(out, e)
		}
	}
	return out
}

func TestProbeRegionSeesTheOutage(t *testing.T) {
	sim, acts, topo := foSim(t, 0)
	ctx := context.Background()
	for _, r := range topo.Regions() {
		got, err := acts.ProbeRegion(ctx, ProbeInput{Region: r, HealthURL: topo.API.HealthURLs[r], Timeout: 2 * time.Second})
		require.NoError(t, err)
		require.True(t, got.Reachable && got.Healthy, "%+v", got)
		require.Equal(t, topo.AccountID, got.Account)
	}

	_, err := sim.AddFault(awssim.Fault{Kind: awssim.FaultRegionOutage, Region: topo.PrimaryRegion})
	require.NoError(t, err)
	p, err := acts.ProbeRegion(ctx, ProbeInput{Region: topo.PrimaryRegion, HealthURL: topo.API.HealthURLs[topo.PrimaryRegion], Timeout: 2 * time.Second})
	require.NoError(t, err, "an unreachable region is an answer, not an error")
	require.False(t, p.Reachable)
	require.False(t, p.Healthy)
	require.Equal(t, 503, p.HealthStatus)
	require.Contains(t, p.EC2Error, "ec2:DescribeRegions in us-east-1")
	require.Contains(t, p.Summary(), "UNREACHABLE")
	d, err := acts.ProbeRegion(ctx, ProbeInput{Region: topo.DRRegion, HealthURL: topo.API.HealthURLs[topo.DRRegion], Timeout: 2 * time.Second})
	require.NoError(t, err)
	require.True(t, d.Reachable && d.Healthy)
}

// A region whose endpoints hang must not hold the assessment: one attempt, bounded by the probe timeout.
func TestProbeRegionHangIsBoundedByTheTimeout(t *testing.T) {
	sim, acts, topo := foSim(t, 0)
	_, err := sim.AddFault(awssim.Fault{Kind: awssim.FaultRegionOutage, Region: topo.PrimaryRegion, Mode: "hang"})
	require.NoError(t, err)
	start := time.Now()
	p, err := acts.ProbeRegion(context.Background(), ProbeInput{Region: topo.PrimaryRegion, Timeout: 300 * time.Millisecond})
	require.NoError(t, err)
	require.False(t, p.Reachable)
	require.Less(t, time.Since(start), 3*time.Second, "the SDK retried or waited past the probe timeout")
}

func appErrorOf(t *testing.T, err error) *temporal.ApplicationError {
	t.Helper()
	var ae *temporal.ApplicationError
	require.ErrorAs(t, err, &ae)
	return ae
}

func TestProbeRegionThrottledIsStillReachable(t *testing.T) {
	sim, acts, topo := foSim(t, 0)
	_, err := sim.AddFault(awssim.Fault{Kind: awssim.FaultThrottle, Service: "*", Rate: 1})
	require.NoError(t, err)
	p, err := acts.ProbeRegion(context.Background(), ProbeInput{Region: topo.DRRegion, Timeout: 2 * time.Second})
	require.NoError(t, err)
	require.True(t, p.Reachable, "a throttled answer is an answer: %+v", p)
	require.Contains(t, p.EC2Error, "RequestLimitExceeded")
}

// upsertMode is the zone the runbook's UPSERT was written against: one simple alias record and no routing
// controls. Route 53 refuses a simple record beside failover records of the same name and type.
func upsertMode(t *topology.Topology) {
	t.DNS.Mode, t.DNS.Records, t.DNS.RoutingControls = topology.DNSUpsert, nil, nil
	hcs := t.HealthChecks[:0]
	for _, hc := range t.HealthChecks {
		if hc.Type != topology.HealthCheckRecoveryControl {
			hcs = append(hcs, hc)
		}
	}
	t.HealthChecks = hcs
}

// With a timeout, GetHealthCheckStatus is a probe of Route 53's control plane: during a us-east-1 outage
// the answer is ErrControlPlaneUnreachable from one attempt within the timeout, refused or hanging.
func TestHealthCheckProbeAnswersAtOnceWhenRoute53IsOut(t *testing.T) {
	for _, mode := range []string{"refuse", "hang"} {
		t.Run(mode, func(t *testing.T) {
			sim, acts, topo := foSim(t, 0)
			id := topo.HealthChecks[0].ID
			_, err := acts.GetHealthCheckStatus(context.Background(), HealthCheckRef{ID: id, Timeout: 300 * time.Millisecond})
			require.NoError(t, err)
			_, err = sim.AddFault(awssim.Fault{Kind: awssim.FaultRegionOutage, Region: "us-east-1", Mode: mode})
			require.NoError(t, err)
			start := time.Now()
			_, err = acts.GetHealthCheckStatus(context.Background(), HealthCheckRef{ID: id, Timeout: 300 * time.Millisecond})
			require.Less(t, time.Since(start), 3*time.Second, "the SDK retried or waited past the probe timeout")
			ae := appErrorOf(t, err)
			require.Equal(t, ErrControlPlaneUnreachable, ae.Type())
			if mode == "refuse" {
				require.Contains(t, ae.Message(), "exceeded maximum number of attempts, 1")
			}
		})
	}
}
