package awssim

import (
	"context"
	"net/url"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	rc "github.com/aws/aws-sdk-go-v2/service/route53recoverycluster"
	rctypes "github.com/aws/aws-sdk-go-v2/service/route53recoverycluster/types"
	"github.com/roadcall/dr/internal/topology"
	"github.com/stretchr/testify/require"
)

type dnsAnswer struct {
	RCode  string     `json:"rcode"`
	Region string     `json:"region"`
	Record *RecordSet `json:"record"`
	Reason string     `json:"reason"`
}

func resolve(t *testing.T, base, name string) dnsAnswer {
	t.Helper()
	var a dnsAnswer
	simGet(t, base, "/_sim/dns?type=A&name="+url.QueryEscape(name), &a)
	return a
}

// outage replaces the active faults with outages of the given regions.
func outage(t *testing.T, sim *Server, regions ...string) {
	t.Helper()
	sim.RemoveFault("")
	for _, r := range regions {
		_, err := sim.AddFault(Fault{Kind: FaultRegionOutage, Region: r})
		require.NoError(t, err)
	}
}

// healthChecked binds the failover records to the regions' HTTPS checks: dns.mode failover-records.
func healthChecked(t *topology.Topology) {
	t.DNS.Mode = topology.DNSFailoverRecords
	for r, rec := range t.DNS.Records {
		rec.HealthCheckID = "hc-roadcall-api-" + r
		t.DNS.Records[r] = rec
	}
}

// TestResolveSimpleRecord: a simple record has no health; it answers its alias whatever is out.
func TestResolveSimpleRecord(t *testing.T) {
	sim, _, u := startWith(t, Options{}, upsertMode)
	name := sim.Topology().DNS.RecordName
	a := resolve(t, u, name)
	require.Equal(t, "NOERROR", a.RCode)
	require.Equal(t, "us-east-1", a.Region)
	require.Equal(t, "simple record", a.Reason)
	require.Equal(t, "api-us-east-1.execute-api.us-east-1.amazonaws.com.", a.Record.Alias.DNSName)
	outage(t, sim, "us-east-1")
	require.Equal(t, "us-east-1", resolve(t, u, name).Region, "resolution answers during the outage, and still the simple alias")

	var nx dnsAnswer
	require.Equal(t, 404, simGet(t, u, "/_sim/dns?name=nope.roadcall.example.com", &nx))
	require.Equal(t, "NXDOMAIN", nx.RCode)
}

// TestResolveFailoverRecordsByHealth covers every health combination of a failover pair bound to HTTPS
// checks. Route 53 Developer Guide, "Failover routing" and "How Amazon Route 53 chooses records when
// health checking is configured": PRIMARY while healthy; SECONDARY when PRIMARY is unhealthy and it is
// healthy; when all are unhealthy Route 53 considers them all healthy, so PRIMARY answers.
func TestResolveFailoverRecordsByHealth(t *testing.T) {
	sim, _, u := startWith(t, Options{}, healthChecked)
	name := sim.Topology().DNS.RecordName
	for _, tc := range []struct {
		out            []string
		region, failov string
		reason         string
	}{
		{nil, "us-east-1", "PRIMARY", "PRIMARY healthy: health check hc-roadcall-api-us-east-1 passing"},
		{[]string{"us-east-1"}, "us-west-2", "SECONDARY", "PRIMARY unhealthy: health check hc-roadcall-api-us-east-1 failing: us-east-1 is out; alias target api-us-east-1.execute-api.us-east-1.amazonaws.com. unhealthy: us-east-1 is out"},
		{[]string{"us-west-2"}, "us-east-1", "PRIMARY", "PRIMARY healthy: health check hc-roadcall-api-us-east-1 passing"},
		{[]string{"us-east-1", "us-west-2"}, "us-east-1", "PRIMARY", ""},
	} {
		outage(t, sim, tc.out...)
		a := resolve(t, u, name)
		require.Equal(t, tc.region, a.Region, "out: %v: %s", tc.out, a.Reason)
		require.Equal(t, tc.failov, a.Record.Failover)
		if tc.reason != "" {
			require.Equal(t, tc.reason, a.Reason)
		} else {
			require.Contains(t, a.Reason, "fails open to PRIMARY")
		}
		sim.With(func(w *World) {
			require.Equal(t, tc.region, w.ServingRegion(sim.Topology()), "servingRegion follows resolution")
		})
	}
}

// TestResolveEvaluateTargetHealth: with no health check, EvaluateTargetHealth alone decides; an API
// Gateway endpoint in a region that is out is unhealthy. Without it, a record with no health check is
// always healthy (Route 53 Developer Guide, "Values specific for failover alias records": Evaluate target
// health).
func TestResolveEvaluateTargetHealth(t *testing.T) {
	for _, eth := range []bool{true, false} {
		sim, _, u := startWith(t, Options{}, func(t *topology.Topology) {
			t.DNS.Mode = topology.DNSFailoverRecords
			for r, rec := range t.DNS.Records {
				rec.HealthCheckID = ""
				t.DNS.Records[r] = rec
				tg := t.DNS.Targets[r]
				tg.EvaluateTargetHealth = eth
				t.DNS.Targets[r] = tg
			}
		})
		outage(t, sim, "us-east-1")
		a := resolve(t, u, sim.Topology().DNS.RecordName)
		if eth {
			require.Equal(t, "us-west-2", a.Region, a.Reason)
			require.Contains(t, a.Reason, "alias target api-us-east-1.execute-api.us-east-1.amazonaws.com. unhealthy")
		} else {
			require.Equal(t, "us-east-1", a.Region, "nothing tells Route 53 the primary is down: %s", a.Reason)
		}
	}
}

// TestResolveRoutingControls: the example's RECOVERY_CONTROL checks are healthy exactly while their
// routing control is On (ARC Developer Guide, "Routing control health checks"); flipping the controls
// through the data plane moves resolution, with us-east-1 out.
func TestResolveRoutingControls(t *testing.T) {
	sim, f, u := start(t, Options{})
	topo := sim.Topology()
	primary, dr := controls(topo)
	a := resolve(t, u, topo.DNS.RecordName)
	require.Equal(t, "us-east-1", a.Region)
	require.Equal(t, "PRIMARY healthy: routing control roadcall-primary ON", a.Reason)
	require.Equal(t, &RecordSet{Name: "api.roadcall.example.com.", Type: "A", SetIdentifier: "Primary-Region", Failover: "PRIMARY",
		HealthCheckID: "hc-roadcall-rc-us-east-1", Alias: &AliasTarget{HostedZoneID: "Z1UJRXOUMOOFQ8",
			DNSName: "api-us-east-1.execute-api.us-east-1.amazonaws.com.", EvaluateTargetHealth: true}}, a.Record)

	// us-east-1 goes: its endpoint's target health fails, but DR's control is Off, so both are unhealthy
	// and Route 53 fails open to the primary. Moving traffic takes the routing controls.
	outage(t, sim, "us-east-1")
	a = resolve(t, u, topo.DNS.RecordName)
	require.Equal(t, "us-east-1", a.Region)
	require.Contains(t, a.Reason, "SECONDARY unhealthy: routing control roadcall-dr OFF")

	_, err := arcClient(f, "us-west-2").UpdateRoutingControlStates(context.Background(), &rc.UpdateRoutingControlStatesInput{
		UpdateRoutingControlStateEntries: []rctypes.UpdateRoutingControlStateEntry{
			{RoutingControlArn: aws.String(dr), RoutingControlState: rctypes.RoutingControlStateOn},
			{RoutingControlArn: aws.String(primary), RoutingControlState: rctypes.RoutingControlStateOff},
		}})
	require.NoError(t, err)
	a = resolve(t, u, topo.DNS.RecordName)
	require.Equal(t, "us-west-2", a.Region)
	require.Equal(t, "DR-Region", a.Record.SetIdentifier)
	require.Equal(t, "PRIMARY unhealthy: routing control roadcall-primary OFF; alias target api-us-east-1.execute-api.us-east-1.amazonaws.com. unhealthy: us-east-1 is out", a.Reason)

	// Failback once the region is back: primary On, then DR Off.
	sim.RemoveFault("")
	_, err = arcClient(f, "us-east-1").UpdateRoutingControlStates(context.Background(), &rc.UpdateRoutingControlStatesInput{
		UpdateRoutingControlStateEntries: []rctypes.UpdateRoutingControlStateEntry{
			{RoutingControlArn: aws.String(primary), RoutingControlState: rctypes.RoutingControlStateOn},
			{RoutingControlArn: aws.String(dr), RoutingControlState: rctypes.RoutingControlStateOff},
		}})
	require.NoError(t, err)
	require.Equal(t, "us-east-1", resolve(t, u, topo.DNS.RecordName).Region)
}
