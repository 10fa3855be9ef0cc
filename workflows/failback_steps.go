package workflows

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"go.temporal.io/sdk/workflow"

	"github.com/roadcall/dr/activities"
	"github.com/roadcall/dr/internal/topology"
)

// ---- 1. verify the primary; refuse when there is nothing to fail back ----

// Check names of the pre-check rows.
const (
	checkRecord    = "dns-record"
	checkReachable = "primary-reachable"
	checkStackName = "primary-stack"
)

func (fb *failback) precheck(ctx workflow.Context) error {
	t := fb.t
	var where func() (ReturnPlan, []CheckRow)
	checks := []func(workflow.Context) CheckRow{fb.checkReachable}
	if fb.partial {
		where = fb.readWhereabouts(ctx)
	} else {
		checks = append([]func(workflow.Context) CheckRow{fb.checkRecord}, checks...)
	}
	for _, hc := range t.HealthChecks {
		// A RECOVERY_CONTROL check follows its routing control, which the failover turned OFF: it tells
		// nothing of the primary's health, and the dns-record row reads the control itself.
		if fb.into.modes && hc.Type == topology.HealthCheckRecoveryControl {
			continue
		}
		if hc.Region == t.PrimaryRegion {
			checks = append(checks, func(ctx workflow.Context) CheckRow { return checkHealth(ctx, hc.ID, hc.Region) })
		}
	}
	for _, st := range t.Stacks.Names {
		checks = append(checks, func(ctx workflow.Context) CheckRow { return fb.checkPrimaryStack(ctx, st) })
	}
	fb.rep.Precheck = gather(ctx, checks)
	if where != nil {
		plan, rows := where()
		fb.rep.Plan = &plan
		fb.rep.Precheck = append(rows, fb.rep.Precheck...)
	}
	fb.r.detail("verify-primary", "%d/%d checks pass", countStatus(fb.rep.Precheck, Pass), len(fb.rep.Precheck))
	return nil
}

// readWhereabouts starts, in parallel with the other pre-checks, the reads of where things are now:
// resolution, the mode's control (routing controls or the record), the global cluster and each DR stack.
// The returned function collects them and plans the moves back.
func (fb *failback) readWhereabouts(ctx workflow.Context) func() (ReturnPlan, []CheckRow) {
	t := fb.t
	c := describeCtx(ctx, fmt.Sprintf("Resolve %s %s", t.DNS.RecordName, t.DNS.RecordType))
	resolveF := workflow.ExecuteActivity(c, a.Resolve, resolveQuery(t))
	var controlsF, recordF workflow.Future
	switch t.DNS.Mode {
	case topology.DNSRoutingControl:
		controlsF = readControls(ctx, t)
	case topology.DNSUpsert:
		c := describeCtx(ctx, "Route 53 ListResourceRecordSets "+t.DNS.RecordName)
		recordF = workflow.ExecuteActivity(c, a.DescribeFailoverRecord, fb.recordInput(t.PrimaryRegion))
	}
	// The global database is asked in the DR region: after a failover it holds the writer, and the
	// primary's control plane may be the one still recovering.
	gc := describeCtx(ctx, "RDS DescribeGlobalClusters "+t.Aurora.GlobalClusterID)
	globalF := workflow.ExecuteActivity(gc, a.DescribeGlobalCluster, activities.GlobalClusterRef{Region: t.DRRegion, ID: t.Aurora.GlobalClusterID})
	var stackFs []workflow.Future
	if t.Stacks.Activation != topology.ActivationCommand {
		for _, st := range t.Stacks.Names {
			c := describeCtx(ctx, "CloudFormation DescribeStacks "+st+" in "+t.DRRegion)
			stackFs = append(stackFs, workflow.ExecuteActivity(c, a.DescribeStack, activities.StackRef{Region: t.DRRegion, Stack: st}))
		}
	}
	return func() (ReturnPlan, []CheckRow) {
		var w Whereabouts
		var res activities.Resolution
		if err := resolveF.Get(ctx, &res); err != nil {
			w.ResolveErr = errMessage(err)
		} else {
			w.Resolution = &res
		}
		if controlsF != nil {
			var st activities.RoutingControlStates
			if err := controlsF.Get(ctx, &st); err != nil {
				w.ControlsErr = errMessage(err)
			} else {
				w.Controls = &st
			}
		}
		if recordF != nil {
			var st activities.RecordState
			if err := recordF.Get(ctx, &st); err != nil {
				w.RecordErr = errMessage(err)
			} else {
				w.Record = &st
			}
		}
		var g activities.GlobalClusterInfo
		if err := globalF.Get(ctx, &g); err != nil {
			w.GlobalErr = errMessage(err)
		} else {
			w.Global = &g
		}
		w.Stacks, w.StackErrs = make([]activities.StackInfo, len(stackFs)), make([]string, len(stackFs))
		for i, f := range stackFs {
			if err := f.Get(ctx, &w.Stacks[i]); err != nil {
				w.StackErrs[i] = errMessage(err)
			}
		}
		return planReturn(t, w, fb.req.standbyValue)
	}
}

// recordInput is the failover record aliased to region's endpoint (the drill reads the record with it too).
func (fb *failback) recordInput(region string) activities.DNSCutoverInput {
	return cutoverInput(fb.t, region)
}

// checkRecord tells whether a failover happened the way dns.mode moved traffic: the record's alias
// (upsert), the routing controls (routing-control), or where the name resolves (failover-records).
func (fb *failback) checkRecord(ctx workflow.Context) CheckRow {
	t := fb.t
	if fb.into.modes && t.DNS.Mode == topology.DNSRoutingControl {
		threshold := fmt.Sprintf("%s ON, %s OFF", t.DRRegion, t.PrimaryRegion)
		var st activities.RoutingControlStates
		if err := readControls(ctx, t).Get(ctx, &st); err != nil {
			return errRow(checkRecord, "routing controls", threshold, err)
		}
		return routingRow(t, st, threshold)
	}
	if fb.into.modes && t.DNS.Mode == topology.DNSFailoverRecords {
		var res activities.Resolution
		c := describeCtx(ctx, fmt.Sprintf("Resolve %s %s", t.DNS.RecordName, t.DNS.RecordType))
		if err := workflow.ExecuteActivity(c, a.Resolve, resolveQuery(t)).Get(c, &res); err != nil {
			return errRow(checkRecord, t.DNS.RecordName, "resolves", err)
		}
		return resolutionRow(t, res)
	}
	threshold := "aliases " + t.DNS.Targets[t.DRRegion].DNSName
	var st activities.RecordState
	c := describeCtx(ctx, "Route 53 ListResourceRecordSets "+t.DNS.RecordName)
	if err := workflow.ExecuteActivity(c, a.DescribeFailoverRecord, fb.recordInput(t.PrimaryRegion)).Get(c, &st); err != nil {
		return errRow(checkRecord, t.DNS.RecordName, threshold, err)
	}
	return recordRow(t, st, threshold)
}

func (fb *failback) checkReachable(ctx workflow.Context) CheckRow {
	t := fb.t
	url := t.API.HealthURLs[t.PrimaryRegion]
	threshold := "EC2 and STS answer"
	if url != "" {
		threshold += ", health URL 2xx"
	}
	var r activities.Reachability
	c := describeCtx(ctx, "Probe "+t.PrimaryRegion+": EC2 DescribeRegions, STS GetCallerIdentity, health URL")
	if err := workflow.ExecuteActivity(c, a.ProbeRegion, activities.ProbeInput{Region: t.PrimaryRegion, HealthURL: url, Timeout: 5 * time.Second}).Get(c, &r); err != nil {
		return errRow(checkReachable, t.PrimaryRegion, threshold, err)
	}
	return reachableRow(t.PrimaryRegion, r, url != "", threshold)
}

// checkPrimaryStack reads a stack in the primary with two attempts, not describeCtx's five: while the
// primary is still down every read fails, and the refusal should come in seconds, not after backoffs.
func (fb *failback) checkPrimaryStack(ctx workflow.Context, stack string) CheckRow {
	region := fb.t.PrimaryRegion
	res := fmt.Sprintf("%s (%s)", stack, region)
	c := describeCtx(ctx, "CloudFormation DescribeStacks "+stack+" in "+region)
	o := workflow.GetActivityOptions(c)
	o.RetryPolicy.MaximumAttempts = 2
	c = workflow.WithActivityOptions(c, o)
	var st activities.StackInfo
	if err := workflow.ExecuteActivity(c, a.DescribeStack, activities.StackRef{Region: region, Stack: stack}).Get(c, &st); err != nil {
		return errRow(checkStackName, res, "*_COMPLETE", err)
	}
	return stackRow(checkStackName, res, st, "the primary stack does not exist", "the primary stack is not in a usable complete state")
}

// ---- 2. data in sync ----

func (fb *failback) sync(ctx workflow.Context) error {
	t := fb.t
	type tableFutures struct{ primary, dr, toPrimary, toDR workflow.Future }
	futs := make([]tableFutures, len(t.Tables))
	latency := func(from, to, table string) workflow.Future {
		q := activities.MetricQuery{Region: from, Namespace: "AWS/DynamoDB", Metric: "ReplicationLatency", Stat: "Maximum", Period: time.Minute, Window: 5 * time.Minute,
			Dimensions: []activities.Dimension{{Name: "TableName", Value: table}, {Name: "ReceivingRegion", Value: to}}}
		c := describeCtx(ctx, fmt.Sprintf("CloudWatch DynamoDB ReplicationLatency %s %s → %s", table, from, to))
		return workflow.ExecuteActivity(c, a.GetMetric, q)
	}
	batched := readsBatched(ctx, t)
	var tablesDone func(workflow.Context) *TableReads
	if batched {
		tablesDone = startTableChecks(ctx, "DynamoDB DescribeTable both ways and ReplicationLatency both ways", t.TableNames(), syncChecks(t))
		futs = nil
	}
	for i := range futs {
		tb := t.Tables[i]
		describe := func(region string) workflow.Future {
			c := describeCtx(ctx, fmt.Sprintf("DynamoDB DescribeTable %s in %s", tb.Name, region))
			return workflow.ExecuteActivity(c, a.DescribeTable, activities.TableRef{Region: region, Table: tb.Name})
		}
		futs[i] = tableFutures{describe(t.PrimaryRegion), describe(t.DRRegion), latency(t.DRRegion, t.PrimaryRegion, tb.Name), latency(t.PrimaryRegion, t.DRRegion, tb.Name)}
	}
	gc := describeCtx(ctx, "RDS DescribeGlobalClusters "+t.Aurora.GlobalClusterID)
	globalF := workflow.ExecuteActivity(gc, a.DescribeGlobalCluster, activities.GlobalClusterRef{Region: t.PrimaryRegion, ID: t.Aurora.GlobalClusterID})

	res := &SyncResult{Tables: []Observation{}}
	fb.rep.Sync = res
	var problems []string
	for i, tb := range t.Tables[:len(futs)] {
		read := tableRead{Name: tb.Name, Latency: [2]latencyRead{{From: t.DRRegion, To: t.PrimaryRegion}, {From: t.PrimaryRegion, To: t.DRRegion}}}
		read.DescribeErr = errors.Join(futs[i].primary.Get(ctx, &read.Primary), futs[i].dr.Get(ctx, &read.DR))
		read.Latency[0].Err = futs[i].toPrimary.Get(ctx, &read.Latency[0].M)
		read.Latency[1].Err = futs[i].toDR.Get(ctx, &read.Latency[1].M)
		o, problem := tableInSync(read, t.PrimaryRegion, t.DRRegion, t.Thresholds.DynamoReplicationWarn.D())
		res.Tables = append(res.Tables, o)
		problems = appendFinding(problems, problem)
	}
	if batched {
		res.TableReads = tablesDone(ctx)
		problems = append(problems, syncProblems(res.TableReads)...)
	}
	var g activities.GlobalClusterInfo
	if err := globalF.Get(ctx, &g); err != nil {
		return errors.New(strings.Join(append(problems, "Aurora: "+errMessage(err)), "; "))
	}
	if fb.partial && g.FailoverStatus != "" && g.FailoverTo != "" && g.FailoverTo != t.Aurora.PrimaryClusterID {
		// A failover the cancelled run started goes on in AWS; a switchover asked for meanwhile would be
		// refused, and waiting for the primary to write would never end.
		if err := fb.landFailover(ctx, &g); err != nil {
			return err
		}
	}
	res.AuroraPath, res.Aurora = auroraPath(t, g)
	fb.rep.AuroraPath = res.AuroraPath
	if len(problems) > 0 {
		return errors.New(strings.Join(problems, "; "))
	}
	if res.AuroraPath == AuroraSwitchover {
		in := activities.LagInput{Region: t.PrimaryRegion, ClusterID: t.Aurora.PrimaryClusterID, Below: t.Thresholds.AuroraLagWarn.D()}
		var st activities.LagState
		w := waitHB(ctx, fmt.Sprintf("Wait until %s lags %s by < %s", t.Aurora.PrimaryClusterID, t.Aurora.DRClusterID, in.Below), 30*time.Minute, fb.req.WaitHeartbeat.D())
		if err := workflow.ExecuteActivity(w, a.WaitAuroraLag, in).Get(w, &st); err != nil {
			return err
		}
		res.AuroraLag = st.Lag
		res.Aurora += fmt.Sprintf("; lag %s", st.Lag.Round(time.Millisecond))
	}
	inSync, _ := tablesInSync(res)
	fb.r.detail("data-sync", "%d tables replicating both ways; Aurora: %s", inSync, res.Aurora)
	return nil
}

// landFailover waits until the in-flight failover's target writes, then reads the global cluster again.
func (fb *failback) landFailover(ctx workflow.Context, g *activities.GlobalClusterInfo) error {
	t := fb.t
	in := activities.AuroraFailoverInput{Mode: topology.FailoverGlobal, Region: g.FailoverToRegion, GlobalClusterID: t.Aurora.GlobalClusterID, DRClusterID: g.FailoverTo}
	var st activities.AuroraWriterState
	w := waitHB(ctx, fmt.Sprintf("Wait until the %s of %s to %s lands", g.FailoverStatus, t.Aurora.GlobalClusterID, g.FailoverTo), 30*time.Minute, fb.req.WaitHeartbeat.D())
	if err := workflow.ExecuteActivity(w, a.WaitAuroraWriter, in).Get(w, &st); err != nil {
		return err
	}
	fb.r.detail("data-sync", "the %s left in flight landed: %s writes", g.FailoverStatus, st.Cluster)
	c := describeCtx(ctx, "RDS DescribeGlobalClusters "+t.Aurora.GlobalClusterID)
	return workflow.ExecuteActivity(c, a.DescribeGlobalCluster, activities.GlobalClusterRef{Region: t.PrimaryRegion, ID: t.Aurora.GlobalClusterID}).Get(c, g)
}

// ---- 2, rebuild path ----

func (fb *failback) snapshotID() string {
	return fmt.Sprintf("%s-failback-%s", fb.t.Aurora.DRClusterID, fb.r.status.StartedAt.UTC().Format("20060102-150405"))
}

func (fb *failback) snapshot(ctx workflow.Context) error {
	t, hb := fb.t, fb.req.WaitHeartbeat.D()
	in := activities.ClusterSnapshotInput{Region: t.DRRegion, ClusterID: t.Aurora.DRClusterID, SnapshotID: fb.snapshotID()}
	var st activities.ClusterSnapshotState
	c := mutateCtx(ctx, "RDS CreateDBClusterSnapshot "+in.SnapshotID)
	if err := workflow.ExecuteActivity(c, a.SnapshotCluster, in).Get(c, &st); err != nil {
		return err
	}
	if st.Created {
		fb.r.action(fmt.Sprintf("rds CreateDBClusterSnapshot %s of %s in %s", in.SnapshotID, in.ClusterID, in.Region))
	}
	w := waitHB(ctx, "Wait until snapshot "+in.SnapshotID+" is available", 2*time.Hour, hb)
	if err := workflow.ExecuteActivity(w, a.WaitClusterSnapshot, in).Get(w, &st); err != nil {
		return err
	}
	fb.rep.Snapshot = st.ARN
	fb.r.detail("snapshot", "%s %s", in.SnapshotID, st.Status)
	return nil
}

func (fb *failback) awaitRebuild(ctx workflow.Context) error {
	t := fb.t
	timeout := fb.req.RebuildTimeout.D()
	if timeout == 0 {
		timeout = 24 * time.Hour
	}
	in := activities.AuroraFailoverInput{Mode: topology.FailoverGlobal, Region: t.PrimaryRegion, GlobalClusterID: t.Aurora.GlobalClusterID, DRClusterID: t.Aurora.PrimaryClusterID}
	var st activities.AuroraWriterState
	w := waitHB(ctx, fmt.Sprintf("Wait until %s in %s writes for %s (operator rebuild)", t.Aurora.PrimaryClusterID, t.PrimaryRegion, t.Aurora.GlobalClusterID), timeout, fb.req.WaitHeartbeat.D())
	if err := workflow.ExecuteActivity(w, a.WaitAuroraWriter, in).Get(w, &st); err != nil {
		return err
	}
	fb.r.detail("rebuild", "%s is %s and writes for %s", st.Cluster, st.Status, t.Aurora.GlobalClusterID)
	return nil
}

// ---- 2. switch the writer back ----

func (fb *failback) switchover(ctx workflow.Context) error {
	t := fb.t
	in := activities.SwitchoverInput{Region: t.PrimaryRegion, GlobalClusterID: t.Aurora.GlobalClusterID, TargetClusterID: t.Aurora.PrimaryClusterID}
	var res activities.AuroraFailoverResult
	c := mutateCtx(ctx, fmt.Sprintf("RDS SwitchoverGlobalCluster %s to %s", t.Aurora.GlobalClusterID, t.Aurora.PrimaryClusterID))
	if err := workflow.ExecuteActivity(c, a.SwitchoverAurora, in).Get(c, &res); err != nil {
		return err
	}
	wi := activities.AuroraFailoverInput{Mode: topology.FailoverGlobal, Region: t.PrimaryRegion, GlobalClusterID: t.Aurora.GlobalClusterID, DRClusterID: t.Aurora.PrimaryClusterID}
	return fb.r.awaitWriter(ctx, res, wi, fb.req.WaitHeartbeat.D())
}

// ---- 5. decommission ----

func (fb *failback) decommission(ctx workflow.Context) error {
	t, hb := fb.t, fb.req.WaitHeartbeat.D()
	if t.Stacks.Activation == topology.ActivationCommand {
		return fb.r.deployStep(ctx, "decommission", "decommission", fb.req.decommissionArgv(), "false", "Scale "+t.DRRegion+" down: ", hb)
	}
	if fb.rep.Plan != nil {
		// Only the stacks found away from standby: the others are left as they are, untouched.
		t.Stacks.Names = fb.rep.Plan.Stacks
	}
	started, errs := fb.r.setStacks(ctx, t, fb.req.standbyValue, hb)
	if ctx.Err() != nil {
		return ctx.Err()
	}
	if err := stackErrors(t.Stacks.Names, errs); err != nil {
		return err
	}
	fb.r.detail("decommission", "%d stacks in %s back to standby %s (%d updated by this run); replication untouched", len(t.Stacks.Names), t.DRRegion, t.Stacks.DRModeParameter, started)
	return nil
}

// ---- communicate ----

func (fb *failback) communicate(ctx workflow.Context) error {
	t := fb.t
	msg := fmt.Sprintf("%s serves from %s again after the failback from %s (took %s). Aurora: %s. %s in %s is back to standby; replication to %s continues.",
		t.ID(), t.PrimaryRegion, t.DRRegion, fb.rto.Round(time.Second), fb.rep.AuroraPath, t.Stacks.DRModeParameter, t.DRRegion, t.DRRegion)
	c := describeCtx(ctx, "SNS: failback complete")
	in := activities.PublishInput{Region: t.PrimaryRegion, TopicARN: t.TopicARN(t.PrimaryRegion),
		Subject: fmt.Sprintf("RESOLVED: %s back in %s", t.ID(), t.PrimaryRegion), Message: msg + "\n\nActions:\n- " + strings.Join(fb.r.actions, "\n- ")}
	if err := workflow.ExecuteActivity(c, a.Publish, in).Get(c, nil); err != nil {
		return err
	}
	fb.r.detail("communicate", "published to %s", in.TopicARN)
	return nil
}
