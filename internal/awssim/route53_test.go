package awssim

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/route53"
	"github.com/aws/aws-sdk-go-v2/service/route53/types"
	"github.com/aws/smithy-go"
	"github.com/stretchr/testify/require"
)

func apiErrCode(t *testing.T, err error) string {
	t.Helper()
	var ae smithy.APIError
	require.True(t, errors.As(err, &ae), "want an AWS API error, got %v", err)
	return ae.ErrorCode()
}

// drUpsert is the DNS cutover the failover workflow makes: the topology's record aliasing the DR target.
func drUpsert(sim *Server, region string) *route53.ChangeResourceRecordSetsInput {
	topo := sim.Topology()
	tg := topo.DNS.Targets[region]
	return &route53.ChangeResourceRecordSetsInput{
		HostedZoneId: aws.String(topo.DNS.HostedZoneID),
		ChangeBatch: &types.ChangeBatch{Comment: aws.String("cut over to " + region), Changes: []types.Change{{
			Action: types.ChangeActionUpsert,
			ResourceRecordSet: &types.ResourceRecordSet{
				Name: aws.String(topo.DNS.RecordName), Type: types.RRType(topo.DNS.RecordType),
				AliasTarget: &types.AliasTarget{HostedZoneId: aws.String(tg.HostedZoneID), DNSName: aws.String(tg.DNSName), EvaluateTargetHealth: tg.EvaluateTargetHealth},
			},
		}}},
	}
}

func r53Journal(sim *Server, op string) []JournalEntry {
	var out []JournalEntry
	for _, e := range sim.Journal() {
		if e.Operation == op {
			out = append(out, e)
		}
	}
	return out
}

func TestRoute53HealthCheckStatusFollowsOutage(t *testing.T) {
	sim, f, _ := startWith(t, Options{}, upsertMode)
	ctx := context.Background()
	r53 := f.Route53()
	status := func(id string) []types.HealthCheckObservation {
		out, err := r53.GetHealthCheckStatus(ctx, &route53.GetHealthCheckStatusInput{HealthCheckId: aws.String(id)})
		require.NoError(t, err)
		require.GreaterOrEqual(t, len(out.HealthCheckObservations), 3, "Route 53 reports from several checker regions")
		return out.HealthCheckObservations
	}
	for _, o := range status("hc-roadcall-api-us-east-1") {
		require.True(t, strings.HasPrefix(*o.StatusReport.Status, "Success: HTTP Status Code 200"), *o.StatusReport.Status)
		require.NotEmpty(t, string(o.Region))
		require.NotEmpty(t, *o.IPAddress)
		require.WithinDuration(t, time.Now(), *o.StatusReport.CheckedTime, time.Minute)
	}

	// The checkers see the DR region die while Route 53's control plane, in us-east-1, still answers.
	// (Before issue 10 this test took us-east-1 down and still read the status: Route 53 was modeled as
	// global. It is not: GetHealthCheckStatus is control plane, hosted in us-east-1, and fails with it.)
	_, err := sim.AddFault(Fault{Kind: FaultRegionOutage, Region: "us-west-2"})
	require.NoError(t, err)
	for _, o := range status("hc-roadcall-api-us-west-2") {
		require.True(t, strings.HasPrefix(*o.StatusReport.Status, "Failure: HTTP Status Code 503"), *o.StatusReport.Status)
	}
	for _, o := range status("hc-roadcall-api-us-east-1") {
		require.True(t, strings.HasPrefix(*o.StatusReport.Status, "Success"), "the primary region's check stays healthy: %s", *o.StatusReport.Status)
	}
	sim.RemoveFault("")
	_, err = sim.AddFault(Fault{Kind: FaultRegionOutage, Region: "us-west-2", Mode: "hang"})
	require.NoError(t, err)
	require.Contains(t, *status("hc-roadcall-api-us-west-2")[0].StatusReport.Status, "Connection timed out")
	sim.RemoveFault("")
	_, err = sim.AddFault(Fault{Kind: FaultRegionOutage, Region: "us-east-1"})
	require.NoError(t, err)
	_, err = r53.GetHealthCheckStatus(ctx, &route53.GetHealthCheckStatusInput{HealthCheckId: aws.String("hc-roadcall-api-us-east-1")},
		func(o *route53.Options) { o.RetryMaxAttempts = 1 })
	require.Error(t, err, "Route 53's control plane is in us-east-1 (Route 53 Developer Guide, \"Resilience in Amazon Route 53\")")
	sim.RemoveFault("")

	_, err = r53.GetHealthCheckStatus(ctx, &route53.GetHealthCheckStatusInput{HealthCheckId: aws.String("hc-nope")})
	require.Equal(t, "NoSuchHealthCheck", apiErrCode(t, err))
	var typed *types.NoSuchHealthCheck
	require.ErrorAs(t, err, &typed)

	hc, err := r53.GetHealthCheck(ctx, &route53.GetHealthCheckInput{HealthCheckId: aws.String("hc-roadcall-api-us-west-2")})
	require.NoError(t, err)
	cfg := hc.HealthCheck.HealthCheckConfig
	require.Equal(t, types.HealthCheckTypeHttp, cfg.Type, "the local topology's health URL is plain HTTP")
	require.Equal(t, "/_sim/health/us-west-2", *cfg.ResourcePath)
	require.Equal(t, "127.0.0.1", *cfg.IPAddress)
	list, err := r53.ListHealthChecks(ctx, &route53.ListHealthChecksInput{MaxItems: aws.Int32(1)})
	require.NoError(t, err)
	require.Len(t, list.HealthChecks, 1)
	require.True(t, list.IsTruncated)
	next, err := r53.ListHealthChecks(ctx, &route53.ListHealthChecksInput{Marker: list.NextMarker})
	require.NoError(t, err)
	require.Len(t, next.HealthChecks, 1)
	require.NotEqual(t, *list.HealthChecks[0].Id, *next.HealthChecks[0].Id)
}

func TestRoute53UpsertTwiceIsOnceAndGoesInSync(t *testing.T) {
	sim, f, _ := startWith(t, Options{TimeScale: 0.005}, upsertMode) // DNS propagation: 60 s → 0.3 s
	ctx := context.Background()
	r53 := f.Route53()
	topo := sim.Topology()
	sim.With(func(w *World) { require.Equal(t, "us-east-1", w.ServingRegion(topo)) })

	first, err := r53.ChangeResourceRecordSets(ctx, drUpsert(sim, "us-west-2"))
	require.NoError(t, err)
	require.Equal(t, types.ChangeStatusPending, first.ChangeInfo.Status)
	require.True(t, strings.HasPrefix(*first.ChangeInfo.Id, "/change/C"), *first.ChangeInfo.Id)
	require.WithinDuration(t, time.Now(), *first.ChangeInfo.SubmittedAt, time.Minute)
	sim.With(func(w *World) { require.Equal(t, "us-west-2", w.ServingRegion(topo)) })

	second, err := r53.ChangeResourceRecordSets(ctx, drUpsert(sim, "us-west-2"))
	require.NoError(t, err, "an UPSERT of the record as it is succeeds")
	require.NotEqual(t, *first.ChangeInfo.Id, *second.ChangeInfo.Id, "every accepted batch gets its own change")

	j := r53Journal(sim, "ChangeResourceRecordSets")
	require.Len(t, j, 2)
	require.True(t, j[0].Changed)
	require.False(t, j[1].Changed, "the repeat found the record already in place")
	require.Equal(t, topo.DNS.HostedZoneID, j[0].Resource)
	require.Equal(t, "route53", j[0].Service)

	require.Eventually(t, func() bool {
		out, err := r53.GetChange(ctx, &route53.GetChangeInput{Id: first.ChangeInfo.Id})
		require.NoError(t, err)
		return out.ChangeInfo.Status == types.ChangeStatusInsync
	}, 5*time.Second, 50*time.Millisecond)
	w := route53.NewResourceRecordSetsChangedWaiter(r53, func(o *route53.ResourceRecordSetsChangedWaiterOptions) {
		o.MinDelay, o.MaxDelay = 20*time.Millisecond, 100*time.Millisecond
	})
	require.NoError(t, w.Wait(ctx, &route53.GetChangeInput{Id: second.ChangeInfo.Id}, 5*time.Second))

	sets, err := r53.ListResourceRecordSets(ctx, &route53.ListResourceRecordSetsInput{HostedZoneId: aws.String("/hostedzone/" + topo.DNS.HostedZoneID)})
	require.NoError(t, err)
	// Route 53 gives every zone its NS and SOA records at the apex; the API record follows them.
	require.Len(t, sets.ResourceRecordSets, 3, "the UPSERT replaced the record rather than adding one")
	require.Equal(t, []types.RRType{types.RRTypeNs, types.RRTypeSoa}, []types.RRType{sets.ResourceRecordSets[0].Type, sets.ResourceRecordSets[1].Type})
	rs := sets.ResourceRecordSets[2]
	require.Equal(t, "api.roadcall.example.com.", *rs.Name)
	require.Equal(t, "api-us-west-2.execute-api.us-west-2.amazonaws.com.", *rs.AliasTarget.DNSName)
	require.True(t, rs.AliasTarget.EvaluateTargetHealth)
	require.Nil(t, rs.ResourceRecords, "an alias record carries no ResourceRecords")
	require.Nil(t, rs.TTL, "an alias record carries no TTL")

	// Failing back is a real change again.
	_, err = r53.ChangeResourceRecordSets(ctx, drUpsert(sim, "us-east-1"))
	require.NoError(t, err)
	require.True(t, r53Journal(sim, "ChangeResourceRecordSets")[2].Changed)
	sim.With(func(w *World) { require.Equal(t, "us-east-1", w.ServingRegion(topo)) })
}

func TestRoute53ChangeBatchErrors(t *testing.T) {
	sim, f, _ := startWith(t, Options{}, upsertMode)
	ctx := context.Background()
	r53 := f.Route53()
	zone := sim.Topology().DNS.HostedZoneID
	txt := func(action types.ChangeAction, name, value string) types.Change {
		return types.Change{Action: action, ResourceRecordSet: &types.ResourceRecordSet{
			Name: aws.String(name), Type: types.RRTypeTxt, TTL: aws.Int64(60),
			ResourceRecords: []types.ResourceRecord{{Value: aws.String(`"` + value + `"`)}},
		}}
	}
	batch := func(changes ...types.Change) error {
		_, err := r53.ChangeResourceRecordSets(ctx, &route53.ChangeResourceRecordSetsInput{HostedZoneId: aws.String(zone),
			ChangeBatch: &types.ChangeBatch{Changes: changes}})
		return err
	}
	records := func() []types.ResourceRecordSet {
		var all []types.ResourceRecordSet
		p := route53.NewListResourceRecordSetsPaginator(r53, &route53.ListResourceRecordSetsInput{HostedZoneId: aws.String(zone), MaxItems: aws.Int32(2)})
		for p.HasMorePages() {
			page, err := p.NextPage(ctx)
			require.NoError(t, err)
			require.LessOrEqual(t, len(page.ResourceRecordSets), 2)
			all = append(all, page.ResourceRecordSets...)
		}
		return all
	}

	require.NoError(t, batch(txt(types.ChangeActionCreate, "a.roadcall.example.com", "v1"), txt(types.ChangeActionCreate, "b.roadcall.example.com", "v1")))
	err := batch(txt(types.ChangeActionCreate, "a.roadcall.example.com", "v2"))
	require.Equal(t, "InvalidChangeBatch", apiErrCode(t, err))
	require.Contains(t, err.Error(), "Tried to create resource record set [name='a.roadcall.example.com.', type='TXT'] but it already exists")
	var icb *types.InvalidChangeBatch
	require.ErrorAs(t, err, &icb)

	err = batch(txt(types.ChangeActionDelete, "gone.roadcall.example.com", "v1"))
	require.Equal(t, "InvalidChangeBatch", apiErrCode(t, err))
	require.Contains(t, err.Error(), "but it was not found")
	err = batch(txt(types.ChangeActionDelete, "a.roadcall.example.com", "other"))
	require.Contains(t, err.Error(), "do not match the current values")

	// A batch is atomic: the valid UPSERT before the failing DELETE must not land.
	journalBefore := len(sim.Journal())
	err = batch(txt(types.ChangeActionUpsert, "b.roadcall.example.com", "v2"), txt(types.ChangeActionDelete, "gone.roadcall.example.com", "v1"))
	require.Equal(t, "InvalidChangeBatch", apiErrCode(t, err))
	require.Len(t, sim.Journal(), journalBefore, "a refused batch changes nothing")

	err = batch(txt(types.ChangeActionCreate, "api.other.example.org", "v1"))
	require.Contains(t, err.Error(), "is not permitted in zone roadcall.example.com.")

	// DELETE then CREATE of the same record in one batch is how Route 53 users replace a record.
	require.NoError(t, batch(txt(types.ChangeActionDelete, "a.roadcall.example.com", "v1"), txt(types.ChangeActionCreate, "a.roadcall.example.com", "v3")))
	recs := records()
	require.Len(t, recs, 5, "the apex NS and SOA, then the three records")
	var names []string
	for _, r := range recs {
		names = append(names, *r.Name)
	}
	require.Equal(t, []string{"roadcall.example.com.", "roadcall.example.com.", "a.roadcall.example.com.", "api.roadcall.example.com.", "b.roadcall.example.com."}, names)
	require.Equal(t, `"v3"`, *recs[2].ResourceRecords[0].Value)
	require.Equal(t, `"v1"`, *recs[4].ResourceRecords[0].Value)

	_, err = r53.ChangeResourceRecordSets(ctx, drUpsert(sim, "us-west-2"))
	require.NoError(t, err)
	_, err = r53.ChangeResourceRecordSets(ctx, &route53.ChangeResourceRecordSetsInput{HostedZoneId: aws.String("ZNOPE"), ChangeBatch: drUpsert(sim, "us-west-2").ChangeBatch})
	require.Equal(t, "NoSuchHostedZone", apiErrCode(t, err))
	_, err = r53.GetChange(ctx, &route53.GetChangeInput{Id: aws.String("/change/CNOPE")})
	require.Equal(t, "NoSuchChange", apiErrCode(t, err))
	_, err = r53.GetHostedZone(ctx, &route53.GetHostedZoneInput{Id: aws.String("ZNOPE")})
	require.Equal(t, "NoSuchHostedZone", apiErrCode(t, err))

	hz, err := r53.GetHostedZone(ctx, &route53.GetHostedZoneInput{Id: aws.String(zone)})
	require.NoError(t, err)
	require.Equal(t, "/hostedzone/"+zone, *hz.HostedZone.Id)
	require.Equal(t, "roadcall.example.com.", *hz.HostedZone.Name)
	require.EqualValues(t, 5, *hz.HostedZone.ResourceRecordSetCount)
	require.Len(t, hz.DelegationSet.NameServers, 4)

	_, err = sim.AddFault(Fault{Kind: FaultThrottle, Service: "route53", Rate: 1})
	require.NoError(t, err)
	_, err = r53.GetHostedZone(ctx, &route53.GetHostedZoneInput{Id: aws.String(zone)}, func(o *route53.Options) { o.RetryMaxAttempts = 1 })
	require.Equal(t, "Throttling", apiErrCode(t, err))
}

// TestRoute53PrefixedIDs sends ids the way AWS returns them ("/hostedzone/Z…", "/change/C…"), escaped and not,
// as clients that do not strip the prefix do.
func TestRoute53PrefixedIDs(t *testing.T) {
	sim, f, url := startWith(t, Options{}, upsertMode)
	ch, err := f.Route53().ChangeResourceRecordSets(context.Background(), drUpsert(sim, "us-west-2"))
	require.NoError(t, err)
	zone := sim.Topology().DNS.HostedZoneID
	for _, path := range []string{
		"/2013-04-01/hostedzone/" + zone,
		"/2013-04-01/hostedzone/%2Fhostedzone%2F" + zone,
		"/2013-04-01/hostedzone//hostedzone/" + zone,
		"/2013-04-01/hostedzone/%2Fhostedzone%2F" + zone + "/rrset",
		"/2013-04-01/change/" + strings.ReplaceAll(*ch.ChangeInfo.Id, "/", "%2F"),
		"/2013-04-01/change/" + strings.TrimPrefix(*ch.ChangeInfo.Id, "/change/"),
	} {
		req, err := http.NewRequest("GET", url+path, nil)
		require.NoError(t, err)
		req.Header.Set("Authorization", "AWS4-HMAC-SHA256 Credential=awssim/20250101/us-east-1/route53/aws4_request, SignedHeaders=host, Signature=x")
		resp, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		require.Equal(t, 200, resp.StatusCode, "%s: %s", path, body)
	}
}

// TestRoute53ThroughCLI runs the runbook's Route 53 commands with the AWS CLI.
func TestRoute53ThroughCLI(t *testing.T) {
	sim, _, url := startWith(t, Options{TimeScale: 0.02}, upsertMode) // DNS propagation: 60 s → 1.2 s
	// The DR region is out; Route 53's control plane, in us-east-1, answers (see TestRoute53ControlPlaneIsInUSEast1).
	_, err := sim.AddFault(Fault{Kind: FaultRegionOutage, Region: "us-west-2"})
	require.NoError(t, err)
	out, err := awsCLIRaw(t, url, "route53", "get-health-check-status", "--health-check-id", "hc-roadcall-api-us-west-2",
		"--query", "HealthCheckObservations[*].{Region:Region,Status:StatusReport.Status}")
	require.NoError(t, err, "%s", out)
	require.Contains(t, string(out), `"Region": "us-west-2"`)
	require.Contains(t, string(out), "Failure: HTTP Status Code 503")
	require.NotContains(t, string(out), "Success")

	topo := sim.Topology()
	tg := topo.DNS.Targets["us-west-2"]
	dir := t.TempDir()
	// The runbook's failover-dns-change.json, filled in with the topology's record.
	change := filepath.Join(dir, "failover-dns-change.json")
	require.NoError(t, os.WriteFile(change, fmt.Appendf(nil, `{
  "Changes": [{
    "Action": "UPSERT",
    "ResourceRecordSet": {
      "Name": %q,
      "Type": %q,
      "AliasTarget": {"HostedZoneId": %q, "DNSName": %q, "EvaluateTargetHealth": true}
    }
  }]
}`, topo.DNS.RecordName, topo.DNS.RecordType, tg.HostedZoneID, tg.DNSName), 0o600))
	res := awsCLI(t, url, "route53", "change-resource-record-sets", "--hosted-zone-id", topo.DNS.HostedZoneID, "--change-batch", "file://"+change)
	info := res["ChangeInfo"].(map[string]any)
	require.Equal(t, "PENDING", info["Status"])
	id := info["Id"].(string)
	sim.With(func(w *World) { require.Equal(t, "us-west-2", w.ServingRegion(topo)) })

	deadline := time.Now().Add(20 * time.Second)
	for {
		got := awsCLI(t, url, "route53", "get-change", "--id", id)["ChangeInfo"].(map[string]any)["Status"]
		if got == "INSYNC" {
			break
		}
		require.Equal(t, "PENDING", got)
		require.True(t, time.Now().Before(deadline), "change %s never reached INSYNC", id)
		time.Sleep(200 * time.Millisecond)
	}
	// The waiter's first poll must already succeed: it would otherwise sleep 30 s.
	waited, err := awsCLIRaw(t, url, "route53", "wait", "resource-record-sets-changed", "--id", id)
	require.NoError(t, err, "%s", waited)

	again := awsCLI(t, url, "route53", "change-resource-record-sets", "--hosted-zone-id", topo.DNS.HostedZoneID, "--change-batch", "file://"+change)
	require.NotEqual(t, id, again["ChangeInfo"].(map[string]any)["Id"])
	j := r53Journal(sim, "ChangeResourceRecordSets")
	require.Len(t, j, 2)
	require.True(t, j[0].Changed)
	require.False(t, j[1].Changed)

	// The runbook's file verbatim adds a failover record beside the simple one, which Route 53 refuses.
	literal := filepath.Join(dir, "runbook.json")
	require.NoError(t, os.WriteFile(literal, []byte(`{"Changes": [{"Action": "UPSERT", "ResourceRecordSet": {
  "Name": "api.roadcall.example.com", "Type": "A", "SetIdentifier": "DR-Region", "Failover": "SECONDARY",
  "AliasTarget": {"HostedZoneId": "API_GATEWAY_HOSTED_ZONE_ID", "DNSName": "api-us-west-2.execute-api.us-west-2.amazonaws.com", "EvaluateTargetHealth": true}}}]}`), 0o600))
	out, err = awsCLIRaw(t, url, "route53", "change-resource-record-sets", "--hosted-zone-id", topo.DNS.HostedZoneID, "--change-batch", "file://"+literal)
	require.Error(t, err)
	require.Contains(t, string(out), "InvalidChangeBatch")

	out, err = awsCLIRaw(t, url, "route53", "get-health-check-status", "--health-check-id", "hc-nope")
	require.Error(t, err)
	require.Contains(t, string(out), "NoSuchHealthCheck")
}
