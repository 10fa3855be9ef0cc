package awssim

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/route53"
	"github.com/aws/aws-sdk-go-v2/service/route53/types"
	"github.com/roadcall/dr/internal/topology"
	"github.com/stretchr/testify/require"
)

// accelerated turns Route 53 accelerated recovery on for the example's zone.
func accelerated(t *topology.Topology) { t.DNS.AcceleratedRecovery = true }

func once(o *route53.Options) { o.RetryMaxAttempts = 1 }

// TestRoute53ControlPlaneIsInUSEast1: every Route 53 API call is control plane, hosted in us-east-1, and
// fails while that region is out (Route 53 Developer Guide, "Resilience in Amazon Route 53"). A zone with
// accelerated recovery gets ChangeResourceRecordSets, GetChange, GetHostedZone, ListHostedZones and
// ListResourceRecordSets back about 60 minutes in, served from us-west-2; the other operations stay down
// (Route 53 Developer Guide, "Enabling accelerated recovery for managing public DNS records", "Additional
// considerations"). A zone without it gets nothing back.
func TestRoute53ControlPlaneIsInUSEast1(t *testing.T) {
	for _, tc := range []struct {
		name string
		edit func(*topology.Topology)
		back bool
	}{{"accelerated recovery", accelerated, true}, {"no accelerated recovery", nil, false}} {
		t.Run(tc.name, func(t *testing.T) {
			clk := &cwClock{t: time.Now().UTC()}
			sim, f, url := startWith(t, Options{TimeScale: 1, Now: clk.Now}, tc.edit)
			ctx := context.Background()
			r53 := f.Route53()
			zone := sim.Topology().DNS.HostedZoneID
			// A change still PENDING when the region goes: after a failover it is stranded.
			stranded, err := r53.ChangeResourceRecordSets(ctx, runbookChange(sim))
			require.NoError(t, err)
			clk.Add(10 * time.Second)

			_, err = sim.AddFault(Fault{Kind: FaultRegionOutage, Region: "us-east-1"})
			require.NoError(t, err)
			_, err = r53.GetHostedZone(ctx, &route53.GetHostedZoneInput{Id: aws.String(zone)}, once)
			require.Error(t, err)
			require.NotContains(t, err.Error(), "StatusCode: 4", "a dead region answers nothing, as for every other service")
			_, err = r53.ChangeResourceRecordSets(ctx, runbookChange(sim), once)
			require.Error(t, err)
			out, err := awsCLIRaw(t, url, "route53", "list-hosted-zones")
			require.Error(t, err, "%s", out)
			require.Contains(t, string(out), "Connection was closed")

			clk.Add(59 * time.Minute)
			_, err = r53.ListResourceRecordSets(ctx, &route53.ListResourceRecordSetsInput{HostedZoneId: aws.String(zone)}, once)
			require.Error(t, err, "59 minutes in, the failover has not happened yet")

			clk.Add(time.Minute)
			_, err = r53.GetHostedZone(ctx, &route53.GetHostedZoneInput{Id: aws.String(zone)}, once)
			if !tc.back {
				require.Error(t, err, "without accelerated recovery Route 53 waits for us-east-1")
				out, err := awsCLIRaw(t, url, "route53", "list-resource-record-sets", "--hosted-zone-id", zone)
				require.Error(t, err, "%s", out)
				return
			}
			require.NoError(t, err)
			sets := awsCLI(t, url, "route53", "list-resource-record-sets", "--hosted-zone-id", zone)
			require.Len(t, sets["ResourceRecordSets"], 4, "NS, SOA and the failover pair")
			zones := awsCLI(t, url, "route53", "list-hosted-zones")
			require.Len(t, zones["HostedZones"], 1)

			// The guide: a change PENDING at the impairment answers NoSuchChange after the failover; resubmit it.
			_, err = r53.GetChange(ctx, &route53.GetChangeInput{Id: stranded.ChangeInfo.Id}, once)
			require.Equal(t, "NoSuchChange", apiErrCode(t, err))
			again, err := r53.ChangeResourceRecordSets(ctx, runbookChange(sim), once)
			require.NoError(t, err)
			clk.Add(time.Minute)
			got, err := r53.GetChange(ctx, &route53.GetChangeInput{Id: again.ChangeInfo.Id}, once)
			require.NoError(t, err)
			require.Equal(t, types.ChangeStatusInsync, got.ChangeInfo.Status)

			// Health-check operations are not on accelerated recovery's list.
			_, err = r53.ListHealthChecks(ctx, &route53.ListHealthChecksInput{}, once)
			require.Error(t, err)
			_, err = r53.GetHealthCheckStatus(ctx, &route53.GetHealthCheckStatusInput{HealthCheckId: aws.String("hc-roadcall-api-us-west-2")}, once)
			require.Error(t, err)

			// The failed-over control plane is in us-west-2: it goes down with that region.
			_, err = sim.AddFault(Fault{Kind: FaultRegionOutage, Region: "us-west-2"})
			require.NoError(t, err)
			_, err = r53.GetHostedZone(ctx, &route53.GetHostedZoneInput{Id: aws.String(zone)}, once)
			require.Error(t, err)
		})
	}
}

// TestRoute53ControlPlaneHangs: a hung us-east-1 hangs Route 53 too, until the client gives up.
func TestRoute53ControlPlaneHangs(t *testing.T) {
	sim, f, _ := start(t, Options{})
	_, err := sim.AddFault(Fault{Kind: FaultRegionOutage, Region: "us-east-1", Mode: "hang"})
	require.NoError(t, err)
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	began := time.Now()
	_, err = f.Route53().ListHostedZones(ctx, &route53.ListHostedZonesInput{}, once)
	require.Error(t, err)
	require.GreaterOrEqual(t, time.Since(began), 250*time.Millisecond, "the call hung until its deadline")
}

// runbookChange is the runbook's failover-dns-change.json through the SDK: UPSERT of the SECONDARY record.
func runbookChange(sim *Server) *route53.ChangeResourceRecordSetsInput {
	topo := sim.Topology()
	tg := topo.DNS.Targets["us-west-2"]
	return &route53.ChangeResourceRecordSetsInput{HostedZoneId: aws.String(topo.DNS.HostedZoneID), ChangeBatch: &types.ChangeBatch{
		Comment: aws.String("Failover to DR region"),
		Changes: []types.Change{{Action: types.ChangeActionUpsert, ResourceRecordSet: &types.ResourceRecordSet{
			Name: aws.String(topo.DNS.RecordName), Type: types.RRTypeA, SetIdentifier: aws.String("DR-Region"), Failover: types.ResourceRecordSetFailoverSecondary,
			AliasTarget: &types.AliasTarget{HostedZoneId: aws.String(tg.HostedZoneID), DNSName: aws.String(tg.DNSName), EvaluateTargetHealth: true},
		}}},
	}}
}

// TestRoute53RunbookFailoverChangeAccepted runs the runbook's failover-dns-change.json with the AWS CLI
// against the zone seeded as the runbook describes it (failover records PRIMARY and SECONDARY), while
// us-east-1 is up.
func TestRoute53RunbookFailoverChangeAccepted(t *testing.T) {
	sim, _, url := start(t, Options{TimeScale: 0})
	topo := sim.Topology()
	tg := topo.DNS.Targets["us-west-2"]
	change := filepath.Join(t.TempDir(), "failover-dns-change.json")
	require.NoError(t, os.WriteFile(change, fmt.Appendf(nil, `{
  "Comment": "Failover to DR region",
  "Changes": [{
    "Action": "UPSERT",
    "ResourceRecordSet": {
      "Name": %q,
      "Type": "A",
      "SetIdentifier": "DR-Region",
      "Failover": "SECONDARY",
      "AliasTarget": {"HostedZoneId": %q, "DNSName": %q, "EvaluateTargetHealth": true}
    }
  }]
}`, topo.DNS.RecordName, tg.HostedZoneID, tg.DNSName), 0o600))
	res := awsCLI(t, url, "route53", "change-resource-record-sets", "--hosted-zone-id", topo.DNS.HostedZoneID, "--change-batch", "file://"+change)
	require.Equal(t, "PENDING", res["ChangeInfo"].(map[string]any)["Status"])
	j := r53Journal(sim, "ChangeResourceRecordSets")
	require.Len(t, j, 1)
	require.True(t, j[0].Changed, "the runbook's record has no health check, the seeded one has: a real change")

	out, err := awsCLIRaw(t, url, "route53", "list-resource-record-sets", "--hosted-zone-id", topo.DNS.HostedZoneID,
		"--query", "ResourceRecordSets[?Type=='A'].[SetIdentifier,Failover]", "--output", "text")
	require.NoError(t, err, "%s", out)
	require.Equal(t, "DR-Region\tSECONDARY\nPrimary-Region\tPRIMARY", strings.TrimSpace(string(out)))
}

// TestRoute53RoutingPolicyRules: Route 53 keeps a name and type to one routing policy, a failover pair to
// one PRIMARY and one SECONDARY, and a failover record needs its SetIdentifier. The messages of the first
// two are AWS's (InvalidChangeBatch as Route 53 returns it to ChangeResourceRecordSets).
func TestRoute53RoutingPolicyRules(t *testing.T) {
	sim, f, _ := start(t, Options{})
	ctx := context.Background()
	r53 := f.Route53()
	topo := sim.Topology()
	tg := topo.DNS.Targets["us-west-2"]
	alias := &types.AliasTarget{HostedZoneId: aws.String(tg.HostedZoneID), DNSName: aws.String(tg.DNSName)}
	put := func(rs types.ResourceRecordSet) error {
		_, err := r53.ChangeResourceRecordSets(ctx, &route53.ChangeResourceRecordSetsInput{HostedZoneId: aws.String(topo.DNS.HostedZoneID),
			ChangeBatch: &types.ChangeBatch{Changes: []types.Change{{Action: types.ChangeActionUpsert, ResourceRecordSet: &rs}}}})
		return err
	}
	err := put(types.ResourceRecordSet{Name: aws.String(topo.DNS.RecordName), Type: types.RRTypeA, AliasTarget: alias})
	require.Equal(t, "InvalidChangeBatch", apiErrCode(t, err))
	require.Contains(t, err.Error(), "RRSet with DNS name api.roadcall.example.com., type A cannot be created as other RRSets exist with the same name and type.")

	err = put(types.ResourceRecordSet{Name: aws.String(topo.DNS.RecordName), Type: types.RRTypeA, SetIdentifier: aws.String("Other"),
		Failover: types.ResourceRecordSetFailoverPrimary, AliasTarget: alias})
	require.Equal(t, "InvalidChangeBatch", apiErrCode(t, err), "a second PRIMARY")

	err = put(types.ResourceRecordSet{Name: aws.String(topo.DNS.RecordName), Type: types.RRTypeA, Failover: types.ResourceRecordSetFailoverSecondary, AliasTarget: alias})
	require.Equal(t, "InvalidInput", apiErrCode(t, err), "a failover record without SetIdentifier")

	// And the other way round: a failover record beside a simple one.
	sim2, f2, _ := startWith(t, Options{}, upsertMode)
	_, err = f2.Route53().ChangeResourceRecordSets(ctx, runbookChange(sim2))
	require.Equal(t, "InvalidChangeBatch", apiErrCode(t, err))
	require.Contains(t, err.Error(), "RRSet with DNS name api.roadcall.example.com., type A, SetIdentifier DR-Region cannot be created as a non-weighted set exists with the same name and type.")
}

// TestRoute53AcceleratedRecoveryFollowsTimeScale: the 60 modeled minutes shrink with --time-scale.
func TestRoute53AcceleratedRecoveryFollowsTimeScale(t *testing.T) {
	sim, f, _ := startWith(t, Options{TimeScale: 0.0001}, accelerated) // 60 min → 0.36 s
	_, err := sim.AddFault(Fault{Kind: FaultRegionOutage, Region: "us-east-1"})
	require.NoError(t, err)
	in := &route53.GetHostedZoneInput{Id: aws.String(sim.Topology().DNS.HostedZoneID)}
	_, err = f.Route53().GetHostedZone(context.Background(), in, once)
	require.Error(t, err)
	require.Eventually(t, func() bool {
		_, err := f.Route53().GetHostedZone(context.Background(), in, once)
		return err == nil
	}, 5*time.Second, 50*time.Millisecond)
}
