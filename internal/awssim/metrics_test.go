package awssim

import (
	"context"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch/types"
	"github.com/stretchr/testify/require"
)

// perMinute returns a statistic per minute start over [from, to), through GetMetricStatistics.
func perMinute(t *testing.T, c *cloudwatch.Client, ns, metric string, dims map[string]string, from, to time.Time, stat string) map[time.Time]float64 {
	t.Helper()
	out := map[time.Time]float64{}
	for _, d := range cwStats(t, c, ns, metric, dims, from, to, 60, stat) {
		v := map[string]*float64{"Sum": d.Sum, "Average": d.Average, "Maximum": d.Maximum, "SampleCount": d.SampleCount}[stat]
		if stat[0] == 'p' {
			x := d.ExtendedStatistics[stat]
			v = &x
		}
		out[d.Timestamp.UTC()] = *v
	}
	return out
}

// split checks every minute of m against before(minute) or after(minute) by whether it starts before cut.
func split(t *testing.T, m map[time.Time]float64, cut time.Time, before, after func(float64) bool) {
	t.Helper()
	require.NotEmpty(t, m)
	for ts, v := range m {
		if ts.Before(cut) {
			require.True(t, before(v), "minute %s (before %s): %v", ts.Format("15:04"), cut.Format("15:04:05"), v)
		} else {
			require.True(t, after(v), "minute %s (from %s): %v", ts.Format("15:04"), cut.Format("15:04:05"), v)
		}
	}
}

func below(x float64) func(float64) bool   { return func(v float64) bool { return v < x } }
func atLeast(x float64) func(float64) bool { return func(v float64) bool { return v >= x } }

func TestMetricsReplicationLagFollowsTheFaultInTime(t *testing.T) {
	sim, cw, clk, _ := cwStart(t)
	west, east := cw("us-west-2"), cw("us-east-1")
	t0 := clk.Now()
	lagDims := map[string]string{"DBClusterIdentifier": "roadcall-aurora-prod-replica"}
	ddbDims := map[string]string{"TableName": "roadcall-users-prod", "ReceivingRegion": "us-west-2"}
	_, err := sim.AddFault(Fault{Kind: FaultReplicationLag, Seconds: 120})
	require.NoError(t, err)
	clk.Add(10 * time.Minute)
	faultMinute := t0.Truncate(time.Minute)
	from := t0.Add(-20 * time.Minute)
	split(t, perMinute(t, west, "AWS/RDS", "AuroraGlobalDBReplicationLag", lagDims, from, clk.Now(), "Maximum"), faultMinute,
		below(1000), atLeast(120000))
	split(t, perMinute(t, east, "AWS/DynamoDB", "ReplicationLatency", ddbDims, from, clk.Now(), "Maximum"), faultMinute,
		below(5000), atLeast(120000))

	// Removing the fault ends it from then on; the past keeps it.
	fixed := clk.Now()
	require.True(t, sim.RemoveFault(""))
	cwStats(t, west, "AWS/RDS", "AuroraGlobalDBReplicationLag", lagDims, fixed.Add(-time.Minute), fixed, 60, "Maximum")
	clk.Add(5 * time.Minute)
	lag := perMinute(t, west, "AWS/RDS", "AuroraGlobalDBReplicationLag", lagDims, from, clk.Now(), "Maximum")
	for ts, v := range lag {
		during := !ts.Before(faultMinute) && ts.Before(fixed.Truncate(time.Minute))
		require.Equal(t, during, v >= 120000, "minute %s: %v", ts.Format("15:04"), v)
	}
}

func TestMetricsThrottledTableUntilCapacityIsRaised(t *testing.T) {
	sim, cw, clk, _ := cwStart(t)
	east, west := cw("us-east-1"), cw("us-west-2")
	table := "roadcall-incidents-prod"
	dims := map[string]string{"TableName": table}
	t0 := clk.Now()
	_, err := sim.AddFault(Fault{Kind: FaultThrottledTable, Table: table})
	require.NoError(t, err)
	clk.Add(5 * time.Minute)
	from := t0.Add(-5 * time.Minute)
	split(t, perMinute(t, east, "AWS/DynamoDB", "ThrottledRequests", dims, from, clk.Now(), "Sum"), t0.Truncate(time.Minute),
		func(v float64) bool { return v == 0 }, atLeast(10))
	require.Zero(t, sumOf(perMinute(t, west, "AWS/DynamoDB", "ThrottledRequests", dims, from, clk.Now(), "Sum")), "the fault is in us-east-1 only")
	require.Zero(t, sumOf(perMinute(t, east, "AWS/DynamoDB", "ThrottledRequests", map[string]string{"TableName": "roadcall-users-prod"}, from, clk.Now(), "Sum")))

	// The table's total is the sum of its operations, exactly.
	total := perMinute(t, east, "AWS/DynamoDB", "ThrottledRequests", dims, from, clk.Now(), "Sum")
	ops := map[time.Time]float64{}
	for _, op := range []string{"GetItem", "Query", "PutItem", "UpdateItem"} {
		for ts, v := range perMinute(t, east, "AWS/DynamoDB", "ThrottledRequests", map[string]string{"TableName": table, "Operation": op}, from, clk.Now(), "Sum") {
			ops[ts] += v
		}
	}
	require.Equal(t, total, ops)

	// Not enough: on-demand, too little capacity, or an update still in progress.
	for _, set := range []func(*Table){
		func(tb *Table) { tb.BillingMode, tb.ReadCap, tb.WriteCap, tb.Status = "PROVISIONED", 99, 500, "ACTIVE" },
		func(tb *Table) {
			tb.BillingMode, tb.ReadCap, tb.WriteCap, tb.Status = "PROVISIONED", 1000, 500, "UPDATING"
		},
		func(tb *Table) {
			tb.BillingMode, tb.ReadCap, tb.WriteCap, tb.Status = "PAY_PER_REQUEST", 0, 0, "ACTIVE"
		},
	} {
		var tb Table
		set(&tb)
		require.False(t, TableScaled(&tb), "%+v", tb)
	}
	// The runbook's scale-up (done directly here: the DynamoDB handlers are tested on their own).
	fixed := clk.Now()
	sim.With(func(w *World) {
		tb := w.Regions["us-east-1"].Tables[table]
		tb.BillingMode, tb.ReadCap, tb.WriteCap, tb.Status = "PROVISIONED", 1000, 500, "ACTIVE"
		require.True(t, TableScaled(tb))
	})
	cwStats(t, east, "AWS/DynamoDB", "ThrottledRequests", dims, fixed.Add(-time.Minute), fixed, 60, "Sum")
	clk.Add(5 * time.Minute)
	split(t, perMinute(t, east, "AWS/DynamoDB", "ThrottledRequests", dims, t0.Truncate(time.Minute), clk.Now(), "Sum"),
		fixed.Truncate(time.Minute), atLeast(10), func(v float64) bool { return v == 0 })
}

func TestMetricsDegradedFunctionUntilConcurrencyIsRaised(t *testing.T) {
	sim, cw, clk, _ := cwStart(t)
	east, west := cw("us-east-1"), cw("us-west-2")
	fn := "roadcall-incident-svc-prod"
	dims := map[string]string{"FunctionName": fn}
	t0 := clk.Now()
	_, err := sim.AddFault(Fault{Kind: FaultDegradedFunction, Function: fn, At: t0.Add(-10 * time.Minute)})
	require.NoError(t, err)
	from := t0.Add(-20 * time.Minute)
	start := t0.Add(-10 * time.Minute).Truncate(time.Minute)
	for _, metric := range []string{"Errors", "Throttles"} {
		split(t, perMinute(t, east, "AWS/Lambda", metric, dims, from, t0, "Sum"), start, below(2), atLeast(10))
		require.Less(t, sumOf(perMinute(t, west, "AWS/Lambda", metric, dims, from, t0, "Sum")), 10.0, "us-west-2 is healthy")
	}
	// Errors' Average is the error rate: the failing share of invocations.
	split(t, perMinute(t, east, "AWS/Lambda", "Errors", dims, from, t0, "Average"), start, below(0.05), atLeast(0.25))
	split(t, perMinute(t, east, "AWS/Lambda", "Duration", dims, from, t0, "p95"), start, below(300), atLeast(1000))

	// The runbook's query has no dimensions: the region's total, the sum over its functions.
	all := perMinute(t, east, "AWS/Lambda", "Errors", nil, from, t0, "Sum")
	each := map[time.Time]float64{}
	for _, f := range sim.Topology().Functions {
		for ts, v := range perMinute(t, east, "AWS/Lambda", "Errors", map[string]string{"FunctionName": f.Name}, from, t0, "Sum") {
			each[ts] += v
		}
	}
	require.Equal(t, all, each)

	var fnState Function
	fnState.ReservedConcurrency = aws.Int32(ScaledFunctionConcurrency - 1)
	require.False(t, FunctionScaled(&fnState))
	sim.With(func(w *World) { w.Regions["us-east-1"].Functions[fn].ReservedConcurrency = aws.Int32(500) })
	cwStats(t, east, "AWS/Lambda", "Errors", dims, t0.Add(-time.Minute), t0, 60, "Sum")
	clk.Add(5 * time.Minute)
	for _, metric := range []string{"Errors", "Throttles"} {
		split(t, perMinute(t, east, "AWS/Lambda", metric, dims, start, clk.Now(), "Sum"), t0.Truncate(time.Minute), atLeast(10), below(2))
	}
	// Reserved concurrency 0 switches a function off: everything throttles.
	sim.With(func(w *World) { w.Regions["us-west-2"].Functions[fn].ReservedConcurrency = aws.Int32(0) })
	inv := perMinute(t, west, "AWS/Lambda", "Invocations", dims, clk.Now().Add(-time.Minute), clk.Now(), "Sum")
	thr := perMinute(t, west, "AWS/Lambda", "Throttles", dims, clk.Now().Add(-time.Minute), clk.Now(), "Average")
	require.Zero(t, sumOf(inv))
	require.Equal(t, 1.0, thr[clk.Now().Truncate(time.Minute)])
}

func TestMetricsTrafficFollowsDNSAndOutagesFail(t *testing.T) {
	sim, cw, clk, _ := cwStart(t)
	east, west := cw("us-east-1"), cw("us-west-2")
	api := map[string]string{"ApiName": "roadcall-api-prod"}
	t0 := clk.Now()

	// The primary dies: everything it serves fails, and its CloudWatch endpoint is gone with it.
	_, err := sim.AddFault(Fault{Kind: FaultRegionOutage, Region: "us-east-1"})
	require.NoError(t, err)
	clk.Add(3 * time.Minute)
	_, err = east.GetMetricStatistics(context.Background(), &cloudwatch.GetMetricStatisticsInput{Namespace: aws.String("AWS/ApiGateway"),
		MetricName: aws.String("Count"), StartTime: aws.Time(t0), EndTime: aws.Time(clk.Now()), Period: aws.Int32(60), Statistics: []types.Statistic{"Sum"}})
	require.Error(t, err)

	// DNS cutover to us-west-2 the example's way, DR's routing control On and the primary's Off (the ARC
	// handlers are tested on their own).
	cut := clk.Now()
	sim.With(func(w *World) {
		for _, rc := range w.RoutingControls {
			rc.State = arcOff
			if rc.Region == "us-west-2" {
				rc.State = arcOn
			}
		}
		require.Equal(t, "us-west-2", w.ServingRegion(sim.topo))
	})
	cwStats(t, west, "AWS/ApiGateway", "Count", api, cut.Add(-time.Minute), cut, 60, "Sum")
	clk.Add(3 * time.Minute)
	recovered := clk.Now()
	require.True(t, sim.RemoveFault(""))
	cwStats(t, west, "AWS/ApiGateway", "Count", api, cut, recovered, 60, "Sum")
	clk.Add(3 * time.Minute)

	from := t0.Add(-5 * time.Minute)
	cutMinute := cut.Truncate(time.Minute)
	split(t, perMinute(t, west, "AWS/ApiGateway", "Count", api, from, clk.Now(), "Sum"), cutMinute, below(30), atLeast(500))
	split(t, perMinute(t, east, "AWS/ApiGateway", "Count", api, from, clk.Now(), "Sum"), cutMinute, atLeast(500), below(30))
	split(t, perMinute(t, west, "AWS/ApiGateway", "Latency", api, from, clk.Now(), "p95"), cutMinute, below(300), below(300))

	// us-east-1 answered 5XX to everything from the outage until it recovered, and only then.
	fives := perMinute(t, east, "AWS/ApiGateway", "5XXError", api, from, clk.Now(), "Average")
	p95 := perMinute(t, east, "AWS/ApiGateway", "Latency", api, from, clk.Now(), "p95")
	for ts, rate := range fives {
		out := !ts.Before(t0.Truncate(time.Minute)) && ts.Before(recovered.Truncate(time.Minute))
		require.Equal(t, out, rate == 1, "minute %s: 5XX rate %v", ts.Format("15:04"), rate)
		require.Equal(t, out, p95[ts] >= 20000, "minute %s: p95 %v", ts.Format("15:04"), p95[ts])
	}

	// S3 replication into the dead region stalled; its latency grew with the outage.
	s3dims := map[string]string{"SourceBucket": "roadcall-call-recordings-prod-123456789012",
		"DestinationBucket": "roadcall-call-recordings-prod-us-west-2-123456789012", "RuleId": "replicate-to-us-west-2-0"}
	_, err = sim.AddFault(Fault{Kind: FaultRegionOutage, Region: "us-west-2", At: clk.Now().Add(-20 * time.Minute)})
	require.NoError(t, err)
	lat := cwStats(t, east, "AWS/S3", "ReplicationLatency", s3dims, clk.Now().Add(-time.Minute), clk.Now(), 60, "Maximum")
	pending := cwStats(t, east, "AWS/S3", "OperationsPendingReplication", s3dims, clk.Now().Add(-time.Minute), clk.Now(), 60, "Maximum")
	require.GreaterOrEqual(t, *lat[len(lat)-1].Maximum, 20*60.0)
	require.GreaterOrEqual(t, *pending[len(pending)-1].Maximum, 2*20*60.0)
}

func TestMetricsAuroraLagFollowsTheSecondaryRole(t *testing.T) {
	sim, cw, clk, _ := cwStart(t)
	from, to := clk.Now().Add(-5*time.Minute), clk.Now()
	lag := func(region, id string) int {
		return len(cwStats(t, cw(region), "AWS/RDS", "AuroraGlobalDBReplicationLag", map[string]string{"DBClusterIdentifier": id}, from, to, 60, "Average"))
	}
	require.Equal(t, 6, lag("us-west-2", "roadcall-aurora-prod-replica"))
	require.Zero(t, lag("us-east-1", "roadcall-aurora-prod"), "the writer has no lag metric")
	// A failover swaps the roles (the RDS handlers are tested on their own); detaching ends the metric.
	sim.With(func(w *World) {
		w.Regions["us-west-2"].Clusters["roadcall-aurora-prod-replica"].Writer = true
		w.Regions["us-east-1"].Clusters["roadcall-aurora-prod"].Writer = false
	})
	require.Zero(t, lag("us-west-2", "roadcall-aurora-prod-replica"))
	require.Equal(t, 6, lag("us-east-1", "roadcall-aurora-prod"))
	sim.With(func(w *World) { w.Regions["us-east-1"].Clusters["roadcall-aurora-prod"].GlobalClusterID = "" })
	require.Zero(t, lag("us-east-1", "roadcall-aurora-prod"))
}

func TestMetricsHistoryResetsWithTheWorld(t *testing.T) {
	sim, cw, clk, _ := cwStart(t)
	_, err := sim.AddFault(Fault{Kind: FaultReplicationLag, Seconds: 60, At: clk.Now().Add(-time.Hour)})
	require.NoError(t, err)
	dims := map[string]string{"DBClusterIdentifier": "roadcall-aurora-prod-replica"}
	require.GreaterOrEqual(t, *cwStats(t, cw("us-west-2"), "AWS/RDS", "AuroraGlobalDBReplicationLag", dims, clk.Now().Add(-30*time.Minute), clk.Now(), 1800, "Minimum")[0].Minimum, 60000.0)
	sim.Reset()
	require.Less(t, *cwStats(t, cw("us-west-2"), "AWS/RDS", "AuroraGlobalDBReplicationLag", dims, clk.Now().Add(-30*time.Minute), clk.Now(), 1800, "Maximum")[0].Maximum, 1000.0)
}

func sumOf(m map[time.Time]float64) float64 {
	var s float64
	for _, v := range m {
		s += v
	}
	return s
}
