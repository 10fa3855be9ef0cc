package activities

import (
	"context"
	"testing"

	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/testsuite"

	"github.com/roadcall/dr/internal/awssim"
	"github.com/roadcall/dr/internal/topology"
)

func foDNSInput(topo topology.Topology, region string) DNSCutoverInput {
	tg := topo.DNS.Targets[region]
	return DNSCutoverInput{HostedZoneID: topo.DNS.HostedZoneID, RecordName: topo.DNS.RecordName, RecordType: topo.DNS.RecordType,
		SetIdentifier: topo.DNS.SetIdentifier, Region: region,
		Target: RecordTarget{HostedZoneID: tg.HostedZoneID, DNSName: tg.DNSName, EvaluateTargetHealth: tg.EvaluateTargetHealth}}
}

func serving(sim *awssim.Server, topo topology.Topology) string {
	var r string
	sim.With(func(w *awssim.World) { r = w.ServingRegion(topo) })
	return r
}

func TestUpsertFailoverRecordOnceThenWaitInsync(t *testing.T) {
	// 0.01 turns Route 53's modeled 60 s into 0.6 s: the wait sees PENDING first.
	sim, acts, topo := foSim(t, 0.01, upsertMode)
	ctx := context.Background()
	in := foDNSInput(topo, topo.DRRegion)
	res, err := acts.UpsertFailoverRecord(ctx, in)
	require.NoError(t, err)
	require.NotEmpty(t, res.ChangeID)
	require.False(t, res.AlreadyInPlace)
	require.Equal(t, topo.DNS.Targets[topo.PrimaryRegion].DNSName+".", res.Previous)
	require.Equal(t, topo.DRRegion, serving(sim, topo))

	again, err := acts.UpsertFailoverRecord(ctx, in)
	require.NoError(t, err)
	require.True(t, again.AlreadyInPlace)
	j := foJournal(sim, "ChangeResourceRecordSets")
	require.Len(t, j, 1, "the repeat read the record and sent nothing")
	require.True(t, j[0].Changed)

	st, err := acts.WaitDNSChange(ctx, ChangeRef{ChangeID: res.ChangeID})
	require.NoError(t, err)
	require.Equal(t, "INSYNC", st.Status)
	require.Greater(t, st.Progress.Polls, 1)
}

// A retry of the UPSERT after Route 53 accepted it (the worker died before reporting) finds the record in
// place and returns the change id the first attempt heartbeated, so the wait still has a change to follow.
func TestUpsertFailoverRecordRetryReturnsTheHeartbeatedChange(t *testing.T) {
	sim, acts, topo := foSim(t, 0, upsertMode)
	in := foDNSInput(topo, topo.DRRegion)
	first, err := acts.UpsertFailoverRecord(context.Background(), in)
	require.NoError(t, err)

	var s testsuite.WorkflowTestSuite
	env := s.NewTestActivityEnvironment()
	env.RegisterActivity(acts)
	env.SetHeartbeatDetails(first.ChangeID)
	v, err := env.ExecuteActivity(acts.UpsertFailoverRecord, in)
	require.NoError(t, err)
	var retried DNSCutoverResult
	require.NoError(t, v.Get(&retried))
	require.True(t, retried.AlreadyInPlace)
	require.Equal(t, first.ChangeID, retried.ChangeID)
	require.Len(t, foJournal(sim, "ChangeResourceRecordSets"), 1)
}

func TestUpsertFailoverRecordAccessDeniedIsNonRetryable(t *testing.T) {
	sim, acts, topo := foSim(t, 0, upsertMode)
	_, err := sim.AddFault(awssim.Fault{Kind: awssim.FaultError, Service: "route53", Operation: "ChangeResourceRecordSets", Code: "AccessDenied"})
	require.NoError(t, err)
	_, err = acts.UpsertFailoverRecord(context.Background(), foDNSInput(topo, topo.DRRegion))
	require.Error(t, err)
	ae := appErrorOf(t, err)
	require.Equal(t, "AccessDenied", ae.Type())
	require.True(t, ae.NonRetryable())
	require.Contains(t, err.Error(), topo.DNS.RecordName)
	require.Contains(t, err.Error(), topo.DRRegion)
	require.Equal(t, topo.PrimaryRegion, serving(sim, topo), "nothing changed")
}
