package activities

import (
	"context"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/testsuite"

	"github.com/roadcall/dr/internal/awsclient"
	"github.com/roadcall/dr/internal/awssim"
	"github.com/roadcall/dr/internal/topology"
)

func tableCapacity(sim *awssim.Server, region, table string) (mode string, r, w int64, status string) {
	sim.With(func(wd *awssim.World) {
		t := wd.Regions[region].Tables[table]
		mode, r, w, status = t.BillingMode, t.ReadCap, t.WriteCap, t.Status
	})
	return
}

var provisioned = TableCapacity{BillingMode: BillingProvisioned, ReadCapacity: 1000, WriteCapacity: 500}

// singleRegion makes the table a single-region table: AWS lets only those be PROVISIONED without write
// auto scaling (DynamoDB Developer Guide, global tables best practices).
func singleRegion(sim *awssim.Server, region, table string) {
	sim.With(func(w *awssim.World) { w.Regions[region].Tables[table].Replicas = []string{region} })
}

func TestTableCapacityIsIdempotentAndRestoresOnDemand(t *testing.T) {
	sim, acts, topo := capacitySim(t)
	ctx := context.Background()
	region, table := topo.PrimaryRegion, topo.Tables[1].Name
	singleRegion(sim, region, table)

	res, err := acts.SetTableCapacity(ctx, CapacityChange{Region: region, Table: table, Target: provisioned})
	require.NoError(t, err)
	require.True(t, res.Changed)
	require.Equal(t, TableCapacity{BillingMode: BillingPayPerRequest}, res.Previous)
	require.Equal(t, provisioned, res.Current)
	mode, r, w, st := tableCapacity(sim, region, table)
	require.Equal(t, []any{"PROVISIONED", int64(1000), int64(500), "ACTIVE"}, []any{mode, r, w, st})

	res, err = acts.SetTableCapacity(ctx, CapacityChange{Region: region, Table: table, Target: provisioned})
	require.NoError(t, err)
	require.False(t, res.Changed, "already at the target: no call (UpdateTable would refuse an unchanged throughput)")
	changed, unchanged := changes(sim, "UpdateTable")
	require.Equal(t, [2]int{1, 0}, [2]int{changed, unchanged})

	onDemand := CapacityChange{Region: region, Table: table, Target: TableCapacity{BillingMode: BillingPayPerRequest}}
	for i, want := range []bool{true, false} {
		res, err = acts.SetTableCapacity(ctx, onDemand)
		require.NoError(t, err, "revert %d", i)
		require.Equal(t, want, res.Changed)
	}
	changed, _ = changes(sim, "UpdateTable")
	require.Equal(t, 2, changed, "apply and revert once each")
	out, err := acts.AWS.DynamoDB(region).DescribeTable(ctx, &dynamodb.DescribeTableInput{TableName: aws.String(table)})
	require.NoError(t, err)
	require.Equal(t, "PAY_PER_REQUEST", string(out.Table.BillingModeSummary.BillingMode))
}

func TestTableCapacityRestoresExactProvisionedValues(t *testing.T) {
	sim, acts, topo := capacitySim(t)
	ctx := context.Background()
	region, table := topo.PrimaryRegion, topo.Tables[2].Name
	singleRegion(sim, region, table)
	orig := TableCapacity{BillingMode: BillingProvisioned, ReadCapacity: 25, WriteCapacity: 10}
	for _, c := range []TableCapacity{orig, provisioned, orig} {
		_, err := acts.SetTableCapacity(ctx, CapacityChange{Region: region, Table: table, Target: c})
		require.NoError(t, err)
	}
	mode, r, w, _ := tableCapacity(sim, region, table)
	require.Equal(t, []any{"PROVISIONED", int64(25), int64(10)}, []any{mode, r, w})
}

func TestTableCapacityOnDemandSwitchLimitIsExplained(t *testing.T) {
	sim, acts, topo := capacitySim(t)
	ctx := context.Background()
	region, table := topo.PrimaryRegion, topo.Tables[0].Name
	singleRegion(sim, region, table)
	// AWS allows four switches to on-demand in 24 hours; the fifth is refused.
	for i := range 4 {
		_, err := acts.SetTableCapacity(ctx, CapacityChange{Region: region, Table: table, Target: provisioned})
		require.NoError(t, err, "switch %d", i)
		_, err = acts.SetTableCapacity(ctx, CapacityChange{Region: region, Table: table, Target: TableCapacity{BillingMode: BillingPayPerRequest}})
		require.NoError(t, err, "switch back %d", i)
	}
	_, err := acts.SetTableCapacity(ctx, CapacityChange{Region: region, Table: table, Target: provisioned})
	require.NoError(t, err, "switching to provisioned is not limited")
	_, err = acts.SetTableCapacity(ctx, CapacityChange{Region: region, Table: table, Target: TableCapacity{BillingMode: BillingPayPerRequest}})
	ae := nonRetryable(t, err)
	require.Equal(t, "LimitExceededException", ae.Type())
	for _, want := range []string{table, region, "24 hours", "keeps its current setting", "aws dynamodb update-table --table-name " + table + " --billing-mode PAY_PER_REQUEST"} {
		require.Contains(t, ae.Message(), want)
	}
	changed, unchanged := changes(sim, "UpdateTable")
	require.Equal(t, [2]int{9, 1}, [2]int{changed, unchanged}, "one refused call: the SDK does not retry a limit of hours as if it were throttling")
}

func TestTableCapacityRefusals(t *testing.T) {
	_, acts, topo := capacitySim(t)
	ctx := context.Background()
	_, err := acts.SetTableCapacity(ctx, CapacityChange{Region: topo.PrimaryRegion, Table: "no-such-table", Target: provisioned})
	ae := nonRetryable(t, err)
	require.Equal(t, "ResourceNotFoundException", ae.Type())
	require.Contains(t, ae.Message(), "no-such-table")

	_, err = acts.SetTableCapacity(ctx, CapacityChange{Region: topo.PrimaryRegion, Table: topo.Tables[0].Name, Target: TableCapacity{BillingMode: "ON_DEMAND"}})
	require.Equal(t, "ValidationException", nonRetryable(t, err).Type())

	_, err = acts.SetTableCapacity(ctx, CapacityChange{Region: topo.PrimaryRegion, Table: topo.Tables[0].Name,
		Target: TableCapacity{BillingMode: BillingProvisioned, ReadCapacity: 0, WriteCapacity: 5}})
	ae = nonRetryable(t, err)
	require.Equal(t, "ValidationException", ae.Type(), "AWS refuses capacity below 1")
}

// tick is a clock that moves one second per reading, so a modeled 30-second UpdateTable is seen UPDATING.
type tick struct {
	mu sync.Mutex
	t  time.Time
}

func (c *tick) now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(time.Second)
	return c.t
}

func TestTableCapacityWaitsForActiveAndResumesFromHeartbeat(t *testing.T) {
	topo, err := topology.Load("../examples/roadcall-local.json")
	require.NoError(t, err)
	clk := &tick{t: time.Now().UTC()}
	sim := awssim.New(topo, awssim.Options{TimeScale: 1, Now: clk.now})
	hs := httptest.NewServer(sim)
	t.Cleanup(hs.Close)
	f, err := awsclient.New(context.Background(), awsclient.Static(hs.URL))
	require.NoError(t, err)
	acts := New(f)
	acts.PollInterval = time.Millisecond

	var s testsuite.WorkflowTestSuite
	env := s.NewTestActivityEnvironment()
	env.RegisterActivity(acts)
	in := CapacityChange{Region: topo.PrimaryRegion, Table: topo.Tables[3].Name, Target: provisioned}
	singleRegion(sim, in.Region, in.Table)
	v, err := env.ExecuteActivity(acts.SetTableCapacity, in)
	require.NoError(t, err)
	var res CapacityResult
	require.NoError(t, v.Get(&res))
	require.True(t, res.Changed)
	require.Greater(t, res.Progress.Polls, 2, "UPDATING was seen before ACTIVE")
	require.Equal(t, "ACTIVE", res.Progress.LastSeen)

	// A retried attempt that finds the table UPDATING from the first attempt's call waits, then finds the
	// target in place: no second UpdateTable.
	soon := clk.now().Add(5 * time.Second)
	sim.With(func(w *awssim.World) {
		tb := w.Regions[topo.PrimaryRegion].Tables[in.Table]
		tb.Status, tb.ReadyAt = "UPDATING", soon
	})
	env.SetHeartbeatDetails(Progress{Since: time.Now().Add(-time.Minute), Polls: 7})
	v, err = env.ExecuteActivity(acts.SetTableCapacity, in)
	require.NoError(t, err)
	require.NoError(t, v.Get(&res))
	require.False(t, res.Changed)
	require.Greater(t, res.Progress.Polls, 7, "the wait resumed the heartbeat's count")
	changed, _ := changes(sim, "UpdateTable")
	require.Equal(t, 1, changed)
}

func TestTableThrottledRequestsSumsOperations(t *testing.T) {
	sim, acts, topo := capacitySim(t)
	ctx := context.Background()
	region, hot, calm := topo.PrimaryRegion, topo.Tables[1].Name, topo.Tables[2].Name
	singleRegion(sim, region, hot)
	_, err := sim.AddFault(awssim.Fault{Kind: awssim.FaultThrottledTable, Table: hot})
	require.NoError(t, err)

	got, err := acts.GetTableThrottledRequests(ctx, ThrottleQuery{Region: region, Table: hot, Window: 15 * time.Minute})
	require.NoError(t, err)
	require.NotEmpty(t, got.Points)
	require.Greater(t, got.Last, 10.0, "a throttled table refuses a share of its requests every minute")
	// awssim also publishes the per-table series; the per-operation sum must agree with it.
	whole, err := acts.GetMetric(ctx, MetricQuery{Region: region, Namespace: "AWS/DynamoDB", Metric: "ThrottledRequests", Stat: "Sum",
		Dimensions: []Dimension{{Name: "TableName", Value: hot}}, Period: time.Minute, Window: 15 * time.Minute})
	require.NoError(t, err)
	require.Equal(t, whole.Last, got.Last)
	require.Equal(t, whole.Max, got.Max)

	got, err = acts.GetTableThrottledRequests(ctx, ThrottleQuery{Region: region, Table: calm, Window: 2 * time.Minute})
	require.NoError(t, err)
	require.NotEmpty(t, got.Points, "a healthy table publishes zeros, not silence")
	require.Zero(t, got.Max)

	// Raising the capacity stops the throttling from the current minute on (awssim's recovery rule).
	_, err = acts.SetTableCapacity(ctx, CapacityChange{Region: region, Table: hot, Target: provisioned})
	require.NoError(t, err)
	got, err = acts.GetTableThrottledRequests(ctx, ThrottleQuery{Region: region, Table: hot, Window: 2 * time.Minute})
	require.NoError(t, err)
	require.Zero(t, got.Last)
}
