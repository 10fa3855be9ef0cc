package awssim

import (
	"context"
	"encoding/json"
	"net/http"
	"strconv"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/route53"
	"github.com/stretchr/testify/require"
)

func getRequests(t *testing.T, url, query string) []RequestEntry {
	t.Helper()
	resp, err := http.Get(url + "/_sim/requests" + query)
	require.NoError(t, err)
	defer resp.Body.Close()
	require.Equal(t, 200, resp.StatusCode)
	var out []RequestEntry
	require.NoError(t, json.NewDecoder(resp.Body).Decode(&out))
	return out
}

// TestRequestLogRecordsReadsAndWhereTheyWent: GET /_sim/requests lists every AWS request, reads and refusals
// included, with the region whose outage would take it (Route 53's control plane, not the signing region)
// and whether that outage did.
func TestRequestLogRecordsReadsAndWhereTheyWent(t *testing.T) {
	sim, f, url := start(t, Options{})
	ctx := context.Background()
	table := sim.Topology().Tables[0].Name
	require.Empty(t, getRequests(t, url, ""))

	_, err := f.DynamoDB(sim.Topology().DRRegion).DescribeTable(ctx, &dynamodb.DescribeTableInput{TableName: aws.String(table)})
	require.NoError(t, err)
	_, err = f.DynamoDB(sim.Topology().DRRegion).DescribeTable(ctx, &dynamodb.DescribeTableInput{TableName: aws.String("no-such-table")})
	require.Error(t, err)
	_, err = sim.AddFault(Fault{Kind: FaultRegionOutage, Region: "us-east-1"})
	require.NoError(t, err)
	_, err = f.Route53().GetHealthCheckStatus(ctx, &route53.GetHealthCheckStatusInput{HealthCheckId: aws.String(sim.Topology().HealthChecks[0].ID)}, once)
	require.Error(t, err)

	got := getRequests(t, url, "")
	require.GreaterOrEqual(t, len(got), 3)
	for i, e := range got {
		require.Equal(t, int64(i+1), e.Seq)
		require.False(t, e.Time.IsZero())
		got[i].Time = got[0].Time
		// The IAM fields are enforce.go's; checked there, cleared here.
		require.NotEmpty(t, e.Action)
		got[i].Action, got[i].Resources = "", nil
	}
	dr, at := sim.Topology().DRRegion, got[0].Time
	require.Equal(t, []RequestEntry{
		{Seq: 1, Time: at, Service: "dynamodb", Region: dr, Operation: "DescribeTable", HostedIn: dr, Plane: "control", Reachable: true},
		{Seq: 2, Time: at, Service: "dynamodb", Region: dr, Operation: "DescribeTable", HostedIn: dr, Plane: "control", Reachable: true, Error: "ResourceNotFoundException"},
	}, got[:2])
	// Go's HTTP client sends an idempotent GET again on a connection closed unanswered: each try is a request.
	for _, e := range got[2:] {
		require.Equal(t, RequestEntry{Seq: e.Seq, Time: at, Service: "route53", Region: "us-east-1", Operation: "GetHealthCheckStatus", HostedIn: "us-east-1", Plane: "control", Reachable: false}, e)
	}

	all := getRequests(t, url, "")
	require.Equal(t, all[2:], getRequests(t, url, "?since="+strconv.FormatInt(all[1].Seq, 10)), "since skips what was read")
	sim.Reset()
	require.Empty(t, getRequests(t, url, ""))
	resp, err := http.Get(url + "/_sim/requests?since=x")
	require.NoError(t, err)
	resp.Body.Close()
	require.Equal(t, 400, resp.StatusCode)
}
