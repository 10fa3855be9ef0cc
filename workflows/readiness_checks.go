package workflows

import (
	"fmt"
	"time"

	"go.temporal.io/sdk/workflow"

	"github.com/roadcall/dr/activities"
	"github.com/roadcall/dr/internal/topology"
)

// readinessChecks starts every check at once and collects the rows in a fixed order, so the report and
// the history are the same on every replay.
func readinessChecks(ctx workflow.Context, req ReadinessRequest) []CheckRow {
	t := req.Topology
	static := version(ctx, readinessStaticStability) >= 1
	var checks []func(ctx workflow.Context) []CheckRow
	batched := readsBatched(ctx, t)
	if batched {
		checks = append(checks, func(ctx workflow.Context) []CheckRow {
			done := startTableChecks(ctx, "DynamoDB DescribeTable, DescribeContinuousBackups and ReplicationLatency in "+t.PrimaryRegion, t.TableNames(), readinessTableChecks(t))
			return readinessTableRows(t, done(ctx))
		})
	}
	for _, tb := range t.Tables {
		if batched {
			break
		}
		checks = append(checks,
			func(ctx workflow.Context) []CheckRow { return []CheckRow{checkReplica(ctx, req, tb.Name)} },
			func(ctx workflow.Context) []CheckRow { return []CheckRow{checkPITR(ctx, req, tb.Name)} },
			func(ctx workflow.Context) []CheckRow { return []CheckRow{checkDynamoLatency(ctx, req, tb.Name)} },
		)
	}
	checks = append(checks, func(ctx workflow.Context) []CheckRow { return checkAurora(ctx, req) })
	for _, b := range t.Buckets {
		checks = append(checks, func(ctx workflow.Context) []CheckRow { return checkS3(ctx, req, b.Source, b.Destination) })
	}
	checks = append(checks, func(ctx workflow.Context) []CheckRow { return []CheckRow{checkBackups(ctx, req)} })
	// The static-stability rows grade the failover records' health checks from these reads: one
	// GetHealthCheckStatus per health check serves both.
	health := make([]healthRead, len(t.HealthChecks))
	for i, hc := range t.HealthChecks {
		checks = append(checks, func(ctx workflow.Context) []CheckRow {
			health[i] = readHealthCheck(ctx, hc.ID)
			return []CheckRow{healthRow(hc, t.PrimaryRegion, health[i])}
		})
	}
	for _, st := range t.Stacks.Names {
		checks = append(checks, func(ctx workflow.Context) []CheckRow { return []CheckRow{checkStack(ctx, t.DRRegion, st)} })
	}
	var rc *routingControlRead
	if static && t.DNS.Mode == topology.DNSRoutingControl && t.DNS.RoutingControls != nil {
		checks = append(checks, func(ctx workflow.Context) []CheckRow {
			rc = readRoutingControls(ctx, t)
			return nil
		})
	}
	var rows []CheckRow
	for _, rs := range gather(ctx, checks) {
		rows = append(rows, rs...)
	}
	if static {
		rows = append(rows, staticStabilityRows(t, rc, health)...)
	}
	return rows
}

// gather runs read-only checks at once and keeps their results in the checks' order, so the report and the
// history are the same on every replay.
func gather[T any](ctx workflow.Context, checks []func(workflow.Context) T) []T {
	out := make([]T, len(checks))
	wg := workflow.NewWaitGroup(ctx)
	for i, c := range checks {
		wg.Add(1)
		workflow.Go(ctx, func(ctx workflow.Context) {
			defer wg.Done()
			out[i] = c(ctx)
		})
	}
	wg.Wait(ctx)
	return out
}

// errRow turns a failed read into a failing row: a readiness check that cannot read the state is not ready.
func errRow(check, resource, threshold string, err error) CheckRow {
	return CheckRow{Check: check, Resource: resource, Status: Fail, Observed: "unreadable", Threshold: threshold, Reason: errMessage(err)}
}

func checkReplica(ctx workflow.Context, req ReadinessRequest, table string) CheckRow {
	t := req.Topology
	const check = "dynamodb-replica"
	res := fmt.Sprintf("%s (%s replica)", table, t.DRRegion)
	var info activities.TableInfo
	c := describeCtx(ctx, "DynamoDB DescribeTable "+table)
	if err := workflow.ExecuteActivity(c, a.DescribeTable, activities.TableRef{Region: t.PrimaryRegion, Table: table}).Get(c, &info); err != nil {
		return errRow(check, res, "ACTIVE", err)
	}
	st, ok := info.Replicas[t.DRRegion]
	switch {
	case !ok:
		return CheckRow{check, res, Fail, "no replica", "ACTIVE", fmt.Sprintf("the global table has no replica in %s", t.DRRegion)}
	case st != "ACTIVE":
		return CheckRow{check, res, Fail, st, "ACTIVE", "the DR replica is not ACTIVE"}
	}
	return CheckRow{Check: check, Resource: res, Status: Pass, Observed: st, Threshold: "ACTIVE"}
}

func checkPITR(ctx workflow.Context, req ReadinessRequest, table string) CheckRow {
	t := req.Topology
	const check = "dynamodb-pitr"
	var info activities.PITRInfo
	c := describeCtx(ctx, "DynamoDB DescribeContinuousBackups "+table)
	if err := workflow.ExecuteActivity(c, a.DescribeContinuousBackups, activities.TableRef{Region: t.PrimaryRegion, Table: table}).Get(c, &info); err != nil {
		return errRow(check, table, "ENABLED", err)
	}
	if !info.Enabled {
		return CheckRow{check, table, Fail, "DISABLED", "ENABLED", "point-in-time recovery is off: a corruption could not be rolled back"}
	}
	return CheckRow{Check: check, Resource: table, Status: Pass, Observed: "ENABLED since " + info.Earliest.UTC().Format(time.RFC3339), Threshold: "ENABLED"}
}

func checkDynamoLatency(ctx workflow.Context, req ReadinessRequest, table string) CheckRow {
	t := req.Topology
	const check = "dynamodb-replication-latency"
	q := activities.MetricQuery{Region: t.PrimaryRegion, Namespace: "AWS/DynamoDB", Metric: "ReplicationLatency",
		Dimensions: []activities.Dimension{{Name: "TableName", Value: table}, {Name: "ReceivingRegion", Value: t.DRRegion}},
		Stat:       "Maximum", Period: 5 * time.Minute, Window: time.Hour}
	threshold := fmt.Sprintf("< %s (fail at RPO %s)", t.Thresholds.DynamoReplicationWarn, t.Objectives.RPO)
	var m activities.MetricResult
	c := describeCtx(ctx, "CloudWatch DynamoDB ReplicationLatency "+table)
	if err := workflow.ExecuteActivity(c, a.GetMetric, q).Get(c, &m); err != nil {
		return errRow(check, table, threshold, err)
	}
	if len(m.Points) == 0 {
		return CheckRow{check, table, Warn, "no datapoints", threshold, "no ReplicationLatency data in the last hour: is the replica receiving writes?"}
	}
	lat := time.Duration(m.Max * float64(time.Millisecond))
	row := CheckRow{Check: check, Resource: table, Status: grade(lat, t.Thresholds.DynamoReplicationWarn.D(), t.Objectives.RPO.D()), Observed: "max " + lat.Round(time.Millisecond).String(), Threshold: threshold}
	if row.Status != Pass {
		row.Reason = "replication to " + t.DRRegion + " is slow; a failover now would lose that much data"
	}
	return row
}

func checkAurora(ctx workflow.Context, req ReadinessRequest) []CheckRow {
	t := req.Topology
	var rows []CheckRow
	var g activities.GlobalClusterInfo
	c := describeCtx(ctx, "RDS DescribeGlobalClusters "+t.Aurora.GlobalClusterID)
	if err := workflow.ExecuteActivity(c, a.DescribeGlobalCluster, activities.GlobalClusterRef{Region: t.DRRegion, ID: t.Aurora.GlobalClusterID}).Get(c, &g); err != nil {
		rows = append(rows, errRow("aurora-global-cluster", t.Aurora.GlobalClusterID, "writer in primary, secondary in DR", err))
	} else {
		w, _ := g.Writer()
		hasDR := false
		for _, m := range g.Members {
			hasDR = hasDR || (m.ClusterID == t.Aurora.DRClusterID && !m.IsWriter)
		}
		row := CheckRow{Check: "aurora-global-cluster", Resource: t.Aurora.GlobalClusterID, Status: Pass,
			Observed: fmt.Sprintf("writer %s, %d members", w.ClusterID, len(g.Members)), Threshold: "writer in " + t.PrimaryRegion + ", secondary in " + t.DRRegion}
		if w.Region != t.PrimaryRegion || !hasDR {
			row.Status, row.Reason = Fail, "the global database is not in its steady state; failover would not go where the runbook expects"
		}
		rows = append(rows, row)
	}
	q := activities.MetricQuery{Region: t.DRRegion, Namespace: "AWS/RDS", Metric: "AuroraGlobalDBReplicationLag",
		Dimensions: []activities.Dimension{{Name: "DBClusterIdentifier", Value: t.Aurora.DRClusterID}}, Stat: "Maximum", Period: 5 * time.Minute, Window: time.Hour}
	threshold := fmt.Sprintf("< %s (fail at RPO %s)", t.Thresholds.AuroraLagWarn, t.Objectives.RPO)
	var m activities.MetricResult
	c = describeCtx(ctx, "CloudWatch AuroraGlobalDBReplicationLag "+t.Aurora.DRClusterID)
	if err := workflow.ExecuteActivity(c, a.GetMetric, q).Get(c, &m); err != nil {
		return append(rows, errRow("aurora-replication-lag", t.Aurora.DRClusterID, threshold, err))
	}
	if len(m.Points) == 0 {
		return append(rows, CheckRow{"aurora-replication-lag", t.Aurora.DRClusterID, Fail, "no datapoints", threshold, "no AuroraGlobalDBReplicationLag data: the DR cluster may not be replicating"})
	}
	lag := time.Duration(m.Max * float64(time.Millisecond))
	row := CheckRow{Check: "aurora-replication-lag", Resource: t.Aurora.DRClusterID, Status: grade(lag, t.Thresholds.AuroraLagWarn.D(), t.Objectives.RPO.D()),
		Observed: "max " + lag.Round(time.Millisecond).String(), Threshold: threshold}
	switch row.Status {
	case Fail:
		row.Reason = fmt.Sprintf("lag %s exceeds the RPO of %s: a failover now would lose more data than the objective allows", lag.Round(time.Second), t.Objectives.RPO)
	case Warn:
		row.Reason = "lag above the normal < 1 s"
	}
	return append(rows, row)
}

func checkS3(ctx workflow.Context, req ReadinessRequest, src, dst string) []CheckRow {
	t := req.Topology
	var rows []CheckRow
	var info activities.BucketReplicationInfo
	ruleID := ""
	c := describeCtx(ctx, "S3 GetBucketReplication "+src)
	if err := workflow.ExecuteActivity(c, a.GetBucketReplication, activities.BucketRef{Region: t.PrimaryRegion, Bucket: src}).Get(c, &info); err != nil {
		rows = append(rows, errRow("s3-replication-rule", src, "Enabled rule to "+dst, err))
	} else {
		row := CheckRow{Check: "s3-replication-rule", Resource: src, Status: Fail, Observed: "no rule to " + dst, Threshold: "Enabled rule to " + dst,
			Reason: "no enabled replication rule sends objects to the DR bucket"}
		for _, rule := range info.Rules {
			if rule.Destination == dst && rule.Status == "Enabled" {
				row.Status, row.Observed, row.Reason = Pass, "rule "+rule.ID+" Enabled", ""
				ruleID = rule.ID
			}
		}
		rows = append(rows, row)
	}
	threshold := fmt.Sprintf("< %s", t.Thresholds.S3ReplicationWarn)
	if ruleID == "" {
		// S3 publishes ReplicationLatency per rule; without an enabled rule there is nothing to measure.
		return append(rows, CheckRow{"s3-replication-latency", src, Fail, "no enabled rule", threshold, "objects are not replicated to " + dst})
	}
	q := activities.MetricQuery{Region: t.PrimaryRegion, Namespace: "AWS/S3", Metric: "ReplicationLatency",
		Dimensions: []activities.Dimension{{Name: "SourceBucket", Value: src}, {Name: "DestinationBucket", Value: dst}, {Name: "RuleId", Value: ruleID}},
		Stat:       "Maximum", Period: 5 * time.Minute, Window: time.Hour}
	var m activities.MetricResult
	c = describeCtx(ctx, "CloudWatch S3 ReplicationLatency "+src)
	if err := workflow.ExecuteActivity(c, a.GetMetric, q).Get(c, &m); err != nil {
		return append(rows, errRow("s3-replication-latency", src, threshold, err))
	}
	if len(m.Points) == 0 {
		return append(rows, CheckRow{"s3-replication-latency", src, Warn, "no datapoints", threshold, "replication metrics are off or nothing was written in the last hour"})
	}
	lat := time.Duration(m.Max * float64(time.Second))
	row := CheckRow{Check: "s3-replication-latency", Resource: src, Status: grade(lat, t.Thresholds.S3ReplicationWarn.D(), t.Objectives.RPO.D()+t.Thresholds.S3ReplicationWarn.D()),
		Observed: "max " + lat.String(), Threshold: threshold}
	if row.Status != Pass {
		row.Reason = "objects reach the DR bucket late"
	}
	return append(rows, row)
}

func checkBackups(ctx workflow.Context, req ReadinessRequest) CheckRow {
	t := req.Topology
	const check = "backup-recovery-points"
	maxAge := t.Thresholds.BackupMaxAge.D()
	threshold := fmt.Sprintf(">= 1 completed in the last %s", maxAge)
	since := workflow.Now(ctx).Add(-maxAge)
	var rp activities.RecoveryPoints
	c := describeCtx(ctx, "Backup ListRecoveryPointsByBackupVault "+t.BackupVault)
	if err := workflow.ExecuteActivity(c, a.ListRecoveryPoints, activities.RecoveryPointQuery{Region: t.PrimaryRegion, Vault: t.BackupVault, Since: since}).Get(c, &rp); err != nil {
		return errRow(check, t.BackupVault, threshold, err)
	}
	completed := 0
	var newest time.Time
	for _, p := range rp.Points {
		if p.Status == "COMPLETED" {
			completed++
			if p.Created.After(newest) {
				newest = p.Created
			}
		}
	}
	if completed == 0 {
		return CheckRow{check, t.BackupVault, Fail, fmt.Sprintf("0 completed since %s", since.UTC().Format(time.RFC3339)), threshold,
			"no recovery point in the backup window: the backup job is failing or not scheduled"}
	}
	return CheckRow{Check: check, Resource: t.BackupVault, Status: Pass, Observed: fmt.Sprintf("%d completed, newest %s", completed, newest.UTC().Format(time.RFC3339)), Threshold: threshold}
}

// checkHealth grades one health check as a check that must be healthy (failback's pre-check).
func checkHealth(ctx workflow.Context, id, region string) CheckRow {
	return healthStatusRow(id, region, readHealthCheck(ctx, id))
}

// readHealthCheck is GetHealthCheckStatus, its answer or its error kept for grading.
func readHealthCheck(ctx workflow.Context, id string) healthRead {
	var h healthRead
	c := describeCtx(ctx, "Route 53 GetHealthCheckStatus "+id)
	h.Err = workflow.ExecuteActivity(c, a.GetHealthCheckStatus, activities.HealthCheckRef{ID: id}).Get(c, &h.Info)
	return h
}

func checkStack(ctx workflow.Context, region, stack string) CheckRow {
	const check = "dr-standby-stack"
	res := fmt.Sprintf("%s (%s)", stack, region)
	var st activities.StackInfo
	c := describeCtx(ctx, "CloudFormation DescribeStacks "+stack)
	if err := workflow.ExecuteActivity(c, a.DescribeStack, activities.StackRef{Region: region, Stack: stack}).Get(c, &st); err != nil {
		return errRow(check, res, "*_COMPLETE", err)
	}
	return stackRow(check, res, st, "the DR standby stack does not exist: activation would have nothing to scale up", "the stack is not in a usable complete state")
}
