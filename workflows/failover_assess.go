package workflows

import (
	"fmt"
	"time"

	"go.temporal.io/sdk/workflow"

	"github.com/roadcall/dr/activities"
)

// ---- 1. assess ----

// assess reads both regions, the health checks, the DR replicas and the Aurora lag at once; only a DR region
// that does not answer holds the run, everything else is a finding for the approvers.
func (f *failover) assess(ctx workflow.Context) error {
	t := f.t
	timeout := f.req.ProbeTimeout.D()
	if timeout == 0 {
		timeout = 5 * time.Second
	}
	probe := func(region string) workflow.Future {
		c := describeCtx(ctx, fmt.Sprintf("Probe %s: EC2 DescribeRegions, STS GetCallerIdentity, health URL", region))
		return workflow.ExecuteActivity(c, a.ProbeRegion, activities.ProbeInput{Region: region, HealthURL: t.API.HealthURLs[region], Timeout: timeout})
	}
	primaryF, drF := probe(t.PrimaryRegion), probe(t.DRRegion)
	hcF := make([]workflow.Future, len(t.HealthChecks))
	for i, hc := range t.HealthChecks {
		c := probeCtx(ctx, "Route 53 GetHealthCheckStatus "+hc.ID)
		hcF[i] = workflow.ExecuteActivity(c, a.GetHealthCheckStatus, activities.HealthCheckRef{ID: hc.ID, Timeout: timeout})
	}
	batched := readsBatched(ctx, t)
	var tablesDone func(workflow.Context) *TableReads
	if batched {
		tablesDone = startTableChecks(ctx, "DynamoDB DescribeTable and Scan --limit 1 in "+t.DRRegion, t.TableNames(), assessChecks(t))
	}
	tableF := make([]workflow.Future, 0, len(t.Tables))
	for _, tb := range t.Tables {
		if batched {
			break
		}
		c := describeCtx(ctx, fmt.Sprintf("DynamoDB DescribeTable %s in %s", tb.Name, t.DRRegion))
		tableF = append(tableF, workflow.ExecuteActivity(c, a.DescribeTable, activities.TableRef{Region: t.DRRegion, Table: tb.Name}))
	}
	var scanF []workflow.Future
	if !batched && version(ctx, assessDRScan) >= 1 {
		scanF = make([]workflow.Future, len(t.Tables))
		for i, tb := range t.Tables {
			c := describeCtx(ctx, fmt.Sprintf("DynamoDB Scan --limit 1 %s in %s", tb.Name, t.DRRegion))
			scanF[i] = workflow.ExecuteActivity(c, a.ScanOne, activities.TableRef{Region: t.DRRegion, Table: tb.Name})
		}
	}
	lagQ := activities.MetricQuery{Region: t.DRRegion, Namespace: "AWS/RDS", Metric: "AuroraGlobalDBReplicationLag",
		Dimensions: []activities.Dimension{{Name: "DBClusterIdentifier", Value: t.Aurora.DRClusterID}}, Stat: "Maximum", Period: time.Minute, Window: 15 * time.Minute}
	lc := describeCtx(ctx, "CloudWatch AuroraGlobalDBReplicationLag "+t.Aurora.DRClusterID)
	lagF := workflow.ExecuteActivity(lc, a.GetMetric, lagQ)
	// The routing controls are read through ARC's data plane, which answers when Route 53's API does not.
	var rcF workflow.Future
	if f.into.modes && t.DNS.RoutingControls != nil {
		rcF = readControls(ctx, t)
	}

	as := &Assessment{HealthChecks: []Observation{}, Replicas: []Observation{}}
	f.rep.Assessment = as
	if err := primaryF.Get(ctx, &as.Primary); err != nil {
		as.Primary = activities.Reachability{Region: t.PrimaryRegion, EC2Error: errMessage(err)}
	}
	if err := drF.Get(ctx, &as.DR); err != nil {
		as.DR = activities.Reachability{Region: t.DRRegion, EC2Error: errMessage(err)}
	}
	if rcF != nil {
		var st activities.RoutingControlStates
		if err := rcF.Get(ctx, &st); err != nil {
			as.Findings = append(as.Findings, "routing controls unreadable through the ARC cluster: "+errMessage(err))
		} else {
			as.RoutingControls = &st
		}
	}
	unanswered := 0
	for i, fut := range hcF {
		var info activities.HealthCheckInfo
		err := fut.Get(ctx, &info)
		o := healthObservation(t.HealthChecks[i], info, err)
		if f.into.modes && err != nil && controlPlaneDown(err) {
			o = judgeWithoutRoute53(t, t.HealthChecks[i], o, as)
			unanswered++
		}
		as.HealthChecks = append(as.HealthChecks, o)
	}
	as.Findings = appendFinding(as.Findings, route53Unanswered(unanswered, as.RoutingControls))
	for i, fut := range tableF {
		var info activities.TableInfo
		err := fut.Get(ctx, &info)
		o, finding := replicaObservation(t.Tables[i].Name, t.DRRegion, info, err)
		as.Replicas = append(as.Replicas, o)
		as.Findings = appendFinding(as.Findings, finding)
	}
	for i, fut := range scanF {
		var res activities.ScanResult
		err := fut.Get(ctx, &res)
		o, finding := readObservation(t.Tables[i].Name, t.DRRegion, res, err)
		as.Reads = append(as.Reads, o)
		as.Findings = appendFinding(as.Findings, finding)
	}
	if batched {
		as.Tables = tablesDone(ctx)
		as.Findings = append(as.Findings, assessFindings(t, as.Tables)...)
	}
	var lag activities.MetricResult
	lagErr := lagF.Get(ctx, &lag)
	as.AuroraLag, as.RPOKnown, as.Findings = rpoFromLag(lag, lagErr, as.Findings)
	as.RPOEstimate = as.AuroraLag
	primaryDown := failingIn(t.HealthChecks, as.HealthChecks, t.PrimaryRegion)
	as.Findings = appendFinding(as.Findings, primaryUpFinding(as, primaryDown, t.PrimaryRegion))
	f.r.detail("assess", "%s; %s; %d/%d primary health checks failing; RPO estimate %s", as.Primary.Summary(), as.DR.Summary(), primaryDown,
		countRegion(t.HealthChecks, t.PrimaryRegion), rpoText(as))
	if !as.DR.Reachable {
		return fmt.Errorf("DR region %s does not answer (%s %s): failing over into it would not restore service; retry when it answers or abort",
			t.DRRegion, as.DR.EC2Error, as.DR.STSError)
	}
	return nil
}

// ---- 2. page ----

// page publishes the incident to the alarm topic in the DR region. A paging failure is recorded but does
// not hold the failover: the gate's own notification and escalations page again.
func (f *failover) page(ctx workflow.Context) error {
	t := f.t
	c := describeCtx(ctx, "SNS: page the incident response team")
	in := activities.PublishInput{Region: t.DRRegion, TopicARN: t.TopicARN(t.DRRegion),
		Subject: fmt.Sprintf("INCIDENT: %s region outage in %s, failover to %s proposed", t.ID(), t.PrimaryRegion, t.DRRegion),
		Message: "On-call engineer, platform owner and customer support: a region failover is being prepared.\n\n" + assessmentText(t, f.rep.Assessment)}
	var res activities.PublishResult
	if err := workflow.ExecuteActivity(c, a.Publish, in).Get(c, &res); err != nil {
		f.r.detail("notify", "paging failed: %s", errMessage(err))
		f.r.note("paging failed: " + errMessage(err))
		return nil
	}
	f.r.detail("notify", "published to %s (message %s)", in.TopicARN, res.MessageID)
	return nil
}
