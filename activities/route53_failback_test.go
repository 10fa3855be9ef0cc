package activities

import (
	"context"
	"testing"

	"github.com/stretchr/testify/require"
)

// The upsert mode's simple alias record: the UPSERT moves it, and reading it changes nothing.
func TestDescribeFailoverRecordFollowsTheCutover(t *testing.T) {
	sim, acts, topo := foSim(t, 0, upsertMode)
	ctx := context.Background()
	tg := topo.DNS.Targets[topo.DRRegion]
	in := DNSCutoverInput{HostedZoneID: topo.DNS.HostedZoneID, RecordName: topo.DNS.RecordName, RecordType: topo.DNS.RecordType, Region: topo.DRRegion,
		Target: RecordTarget{HostedZoneID: tg.HostedZoneID, DNSName: tg.DNSName, EvaluateTargetHealth: tg.EvaluateTargetHealth}}
	st, err := acts.DescribeFailoverRecord(ctx, in)
	require.NoError(t, err)
	require.True(t, st.Exists)
	require.Equal(t, topo.DNS.Targets[topo.PrimaryRegion].DNSName, st.AliasDNSName)

	_, err = acts.UpsertFailoverRecord(ctx, in)
	require.NoError(t, err)
	st, err = acts.DescribeFailoverRecord(ctx, in)
	require.NoError(t, err)
	require.Equal(t, tg.DNSName, st.AliasDNSName)
	require.Len(t, journalOf(sim, "ChangeResourceRecordSets"), 1, "reading the record changes nothing")

	in.RecordName = "nothing." + in.RecordName
	st, err = acts.DescribeFailoverRecord(ctx, in)
	require.NoError(t, err)
	require.False(t, st.Exists)
}
