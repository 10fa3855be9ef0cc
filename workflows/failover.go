package workflows

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"go.temporal.io/sdk/workflow"

	"github.com/roadcall/dr/activities"
	"github.com/roadcall/dr/internal/topology"
)

// Runbook budgets for Scenario 1 (runbook.md, steps 1 to 7; their sum is the serial 65 minutes).
var failoverBudgets = map[string]time.Duration{
	"assess": 5 * time.Minute, "notify": 5 * time.Minute, "database": 10 * time.Minute, "dns": 5 * time.Minute,
	"activate": 20 * time.Minute, "verify": 10 * time.Minute, "monitor": 10 * time.Minute,
}

var failoverScenario = scenario{Workflow: WorkflowRegionFailover, Key: ScenarioFailover, Gates: []string{GateFailover}, Budgets: failoverBudgets}

// RunbookSerialBudget is what the runbook's Scenario 1 takes when its steps run one after another.
const RunbookSerialBudget = 65 * time.Minute

// FailoverRequest starts RegionFailover: the runbook's Scenario 1, from the topology's primary region to
// its DR region.
type FailoverRequest struct {
	Common
	// MonitorWindow overrides thresholds.monitorWindow: how long DR traffic is watched after the cutover.
	MonitorWindow topology.Duration `json:"monitorWindow,omitempty"`
	// ProbeTimeout bounds each reachability probe of the assessment (default 5s).
	ProbeTimeout topology.Duration `json:"probeTimeout,omitempty"`
	// WaitHeartbeat overrides the heartbeat timeout of the waits (default 30s): how soon a wait whose worker
	// died is resumed by another worker.
	WaitHeartbeat topology.Duration `json:"waitHeartbeat,omitempty"`
}

func (r *FailoverRequest) UnmarshalJSON(b []byte) error {
	type plain FailoverRequest
	return decodeStrict(b, (*plain)(r), &r.decodeProblem)
}

// Validate is everything the workflow checks before any AWS call; the starter runs it before starting.
func (r *FailoverRequest) Validate() error {
	if err := r.Prepare(); err != nil {
		return err
	}
	es := negativeDurations(durationField{"monitorWindow", r.MonitorWindow}, durationField{"probeTimeout", r.ProbeTimeout}, durationField{"waitHeartbeat", r.WaitHeartbeat})
	es = append(es, r.initiatorProblems()...)
	if len(es) > 0 {
		return es
	}
	return nil
}

// Observation is one assessed resource.
type Observation struct {
	Resource string `json:"resource"`
	Region   string `json:"region"`
	OK       bool   `json:"ok"`
	Observed string `json:"observed"`
}

// Assessment is what step 1 learned; the approvers read it in the gate summary.
type Assessment struct {
	Primary      activities.Reachability `json:"primary"`
	DR           activities.Reachability `json:"dr"`
	HealthChecks []Observation           `json:"healthChecks"`
	Replicas     []Observation           `json:"replicas"`
	// Reads is Scan --limit 1 on each table in DR: an ACTIVE replica that refuses reads is not a usable one.
	// Empty in runs started before the version assessDRScan.
	Reads     []Observation `json:"reads,omitempty"`
	AuroraLag time.Duration `json:"auroraLag"`
	// RPOKnown is false when the lag could not be read: the approval must then accept data loss.
	RPOKnown    bool          `json:"rpoKnown"`
	RPOEstimate time.Duration `json:"rpoEstimate"`
	Findings    []string      `json:"findings,omitempty"`
}

// VerifyResult is step 6.
type VerifyResult struct {
	Health    *activities.URLCheckResult  `json:"health,omitempty"`
	Functions *activities.FunctionsResult `json:"functions,omitempty"`
	Scans     []activities.ScanResult     `json:"scans,omitempty"`
	Database  *activities.DBCheckResult   `json:"database,omitempty"`
	Problems  []string                    `json:"problems,omitempty"`
}

// MonitorResult is step 7: DR API traffic after the cutover.
type MonitorResult struct {
	Window     time.Duration `json:"window"`
	Requests   float64       `json:"requests"`
	Errors5xx  float64       `json:"errors5xx"`
	ErrorRate  float64       `json:"errorRate"`
	LatencyP95 time.Duration `json:"latencyP95"`
	Pass       bool          `json:"pass"`
	Problems   []string      `json:"problems,omitempty"`
}

// FailoverReport is RegionFailover's result.
type FailoverReport struct {
	RunSummary
	PrimaryRegion string      `json:"primaryRegion"`
	DRRegion      string      `json:"drRegion"`
	FailoverMode  string      `json:"failoverMode"`
	Assessment    *Assessment `json:"assessment,omitempty"`
	// Actions lists every change made to AWS, in the order the calls returned.
	Actions []string       `json:"actions"`
	Verify  *VerifyResult  `json:"verify,omitempty"`
	Monitor *MonitorResult `json:"monitor,omitempty"`
	// ValidatedAt is when verification and monitoring passed; RTO runs from DetectedAt to it.
	ValidatedAt  time.Time       `json:"validatedAt,omitzero"`
	RTO          time.Duration   `json:"rto"`
	RTOSeconds   float64         `json:"rtoSeconds"`
	RTOObjective time.Duration   `json:"rtoObjective"`
	RTOMet       bool            `json:"rtoMet"`
	RPOEstimate  time.Duration   `json:"rpoEstimate"`
	RPOKnown     bool            `json:"rpoKnown"`
	RPOObjective time.Duration   `json:"rpoObjective"`
	RPOMet       bool            `json:"rpoMet"`
	Checklist    []ChecklistItem `json:"checklist"`
}

// failover carries one run's state between its steps.
type failover struct {
	r   *run
	req FailoverRequest
	t   topology.Topology
	rep *FailoverReport
}

// RegionFailover is the runbook's Scenario 1: assess, page, gate, then fail Aurora over and activate the DR
// stacks in parallel, cut DNS over, verify, monitor, communicate and report RTO and RPO.
func RegionFailover(ctx workflow.Context, req FailoverRequest) (FailoverReport, error) {
	if err := req.Validate(); err != nil {
		return FailoverReport{}, invalid(err)
	}
	t := req.Topology
	r, err := start(ctx, failoverScenario, &req.Common)
	if err != nil {
		return FailoverReport{}, err
	}
	f := &failover{r: r, req: req, t: t, rep: &FailoverReport{PrimaryRegion: t.PrimaryRegion, DRRegion: t.DRRegion,
		FailoverMode: t.Aurora.FailoverMode, Actions: []string{}, RTOObjective: t.Objectives.RTO.D(), RPOObjective: t.Objectives.RPO.D()}}
	err = f.execute()
	phase := r.settle(ctx, err)
	if phase != PhaseCompleted {
		r.notify(fmt.Sprintf("RegionFailover %s %s", t.ID(), phase), f.doneSoFar(phase))
	}
	r.finish(phase, f.rep.RTO)
	return f.report(phase), nil
}

func (f *failover) execute() error {
	r, t := f.r, f.t
	if err := r.step("assess", "1. Assess the situation", stepOpts{Critical: true, Budget: failoverBudgets["assess"]}, f.assess); err != nil {
		return err
	}
	if err := r.step("notify", "2. Activate the incident response team", stepOpts{Budget: failoverBudgets["notify"]}, f.page); err != nil {
		return err
	}
	as := f.rep.Assessment
	ackNeeded := !as.RPOKnown || as.RPOEstimate > t.Objectives.RPO.D()
	if _, err := r.gate(GateFailover, gateOpts{Summary: f.gateSummary(ackNeeded), RequireDataLossAck: ackNeeded}); err != nil {
		return err
	}
	err := r.parallel(
		func(ctx workflow.Context) error {
			return r.stepIn(ctx, "database", "3. Fail Aurora over to "+t.DRRegion, stepOpts{Critical: true, Budget: failoverBudgets["database"]}, f.database)
		},
		func(ctx workflow.Context) error {
			return r.stepIn(ctx, "activate", "5. Activate services in "+t.DRRegion, stepOpts{Critical: true, Budget: failoverBudgets["activate"]}, f.activate)
		},
	)
	if err != nil {
		return err
	}
	if err := r.step("dns", "4. Cut DNS over to "+t.DRRegion, stepOpts{Critical: true, Budget: failoverBudgets["dns"]}, f.dns); err != nil {
		return err
	}
	if err := r.step("verify", "6. Verify services in "+t.DRRegion, stepOpts{Critical: true, Budget: failoverBudgets["verify"]}, f.verify); err != nil {
		return err
	}
	f.rep.ValidatedAt = workflow.Now(r.ctx)
	if err := r.step("monitor", "7. Monitor and validate", stepOpts{Budget: failoverBudgets["monitor"]}, f.monitor); err != nil {
		return err
	}
	if rec := r.status.Step("monitor"); rec != nil && rec.Outcome == OutcomeOK {
		f.rep.ValidatedAt = rec.Ended
	}
	f.rep.RTO = f.rep.ValidatedAt.Sub(r.status.DetectedAt)
	return r.step("communicate", "8. Communicate status", stepOpts{}, f.communicate)
}

// detail sets the timeline row's detail line.
func (f *failover) detail(step, format string, args ...any) {
	if rec := f.r.status.Step(step); rec != nil {
		rec.Detail = fmt.Sprintf(format, args...)
	}
}

func (f *failover) action(s string) {
	f.rep.Actions = append(f.rep.Actions, s)
	f.r.note("AWS: " + s)
}

func (f *failover) waitCtx(ctx workflow.Context, summary string, timeout time.Duration) workflow.Context {
	c := waitCtx(ctx, summary, timeout)
	if hb := f.req.WaitHeartbeat.D(); hb > 0 {
		o := workflow.GetActivityOptions(c)
		o.HeartbeatTimeout = hb
		c = workflow.WithActivityOptions(c, o)
	}
	return c
}

// ---- 1. assess ----

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
		c := describeCtx(ctx, "Route 53 GetHealthCheckStatus "+hc.ID)
		hcF[i] = workflow.ExecuteActivity(c, a.GetHealthCheckStatus, activities.HealthCheckRef{ID: hc.ID})
	}
	tableF := make([]workflow.Future, len(t.Tables))
	for i, tb := range t.Tables {
		c := describeCtx(ctx, fmt.Sprintf("DynamoDB DescribeTable %s in %s", tb.Name, t.DRRegion))
		tableF[i] = workflow.ExecuteActivity(c, a.DescribeTable, activities.TableRef{Region: t.DRRegion, Table: tb.Name})
	}
	var scanF []workflow.Future
	if version(ctx, assessDRScan) >= 1 {
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

	as := &Assessment{HealthChecks: []Observation{}, Replicas: []Observation{}}
	f.rep.Assessment = as
	if err := primaryF.Get(ctx, &as.Primary); err != nil {
		as.Primary = activities.Reachability{Region: t.PrimaryRegion, EC2Error: errMessage(err)}
	}
	if err := drF.Get(ctx, &as.DR); err != nil {
		as.DR = activities.Reachability{Region: t.DRRegion, EC2Error: errMessage(err)}
	}
	primaryDown := 0
	for i, fut := range hcF {
		hc := t.HealthChecks[i]
		var info activities.HealthCheckInfo
		o := Observation{Resource: "health check " + hc.ID, Region: hc.Region}
		if err := fut.Get(ctx, &info); err != nil {
			o.Observed = "unreadable: " + errMessage(err)
		} else {
			o.OK, o.Observed = info.Healthy, fmt.Sprintf("%d/%d checkers healthy", info.Success, info.Checkers)
			if !info.Healthy && len(info.Failures) > 0 {
				o.Observed += " (" + info.Failures[0] + ")"
			}
		}
		if hc.Region == t.PrimaryRegion && !o.OK {
			primaryDown++
		}
		as.HealthChecks = append(as.HealthChecks, o)
	}
	for i, fut := range tableF {
		name := t.Tables[i].Name
		var info activities.TableInfo
		o := Observation{Resource: "DynamoDB replica " + name, Region: t.DRRegion}
		if err := fut.Get(ctx, &info); err != nil {
			o.Observed = "unreadable: " + errMessage(err)
		} else {
			st := info.Replicas[t.DRRegion]
			if st == "" {
				st = info.Status
			}
			o.OK, o.Observed = st == "ACTIVE" && info.Status == "ACTIVE", "replica "+st+", table "+info.Status
		}
		if !o.OK {
			as.Findings = append(as.Findings, fmt.Sprintf("%s in %s is not ACTIVE (%s): its data may be incomplete after the failover", name, t.DRRegion, o.Observed))
		}
		as.Replicas = append(as.Replicas, o)
	}
	for i, fut := range scanF {
		name := t.Tables[i].Name
		var res activities.ScanResult
		o := Observation{Resource: "DynamoDB table " + name, Region: t.DRRegion}
		if err := fut.Get(ctx, &res); err != nil {
			o.Observed = "Scan --limit 1 failed: " + errMessage(err)
			as.Findings = append(as.Findings, fmt.Sprintf("%s does not answer reads in %s (%s)", name, t.DRRegion, errMessage(err)))
		} else {
			o.OK, o.Observed = true, fmt.Sprintf("Scan --limit 1 read %d item(s)", res.Count)
		}
		as.Reads = append(as.Reads, o)
	}
	var lag activities.MetricResult
	if err := lagF.Get(ctx, &lag); err != nil {
		as.Findings = append(as.Findings, "Aurora replication lag unreadable ("+errMessage(err)+"): RPO unknown")
	} else if len(lag.Points) == 0 {
		as.Findings = append(as.Findings, "no AuroraGlobalDBReplicationLag datapoints in the last 15 minutes: RPO unknown")
	} else {
		as.AuroraLag = time.Duration(lag.Max * float64(time.Millisecond))
		as.RPOKnown, as.RPOEstimate = true, as.AuroraLag
	}
	if as.Primary.Reachable && as.Primary.Healthy && primaryDown == 0 {
		as.Findings = append(as.Findings, fmt.Sprintf("the primary region %s answers and its health checks pass: make sure a failover is needed", t.PrimaryRegion))
	}
	f.detail("assess", "%s; %s; %d/%d primary health checks failing; RPO estimate %s", as.Primary.Summary(), as.DR.Summary(), primaryDown,
		countRegion(t.HealthChecks, t.PrimaryRegion), rpoText(as))
	if !as.DR.Reachable {
		return fmt.Errorf("DR region %s does not answer (%s %s): failing over into it would not restore service; retry when it answers or abort",
			t.DRRegion, as.DR.EC2Error, as.DR.STSError)
	}
	return nil
}

func countRegion(hcs []topology.HealthCheck, region string) int {
	n := 0
	for _, hc := range hcs {
		if hc.Region == region {
			n++
		}
	}
	return n
}

func rpoText(as *Assessment) string {
	if !as.RPOKnown {
		return "unknown"
	}
	return as.RPOEstimate.Round(time.Millisecond).String()
}

// ---- 2. page ----

// page publishes the incident to the alarm topic in the DR region. A paging failure is recorded but does
// not hold the failover: the gate's own notification and escalations page again.
func (f *failover) page(ctx workflow.Context) error {
	t, as := f.t, f.rep.Assessment
	c := describeCtx(ctx, "SNS: page the incident response team")
	in := activities.PublishInput{Region: t.DRRegion, TopicARN: t.TopicARN(t.DRRegion),
		Subject: fmt.Sprintf("INCIDENT: %s region outage in %s, failover to %s proposed", t.ID(), t.PrimaryRegion, t.DRRegion),
		Message: "On-call engineer, platform owner and customer support: a region failover is being prepared.\n\n" + f.assessmentText(as)}
	var res activities.PublishResult
	if err := workflow.ExecuteActivity(c, a.Publish, in).Get(c, &res); err != nil {
		f.detail("notify", "paging failed: %s", errMessage(err))
		f.r.note("paging failed: " + errMessage(err))
		return nil
	}
	f.detail("notify", "published to %s (message %s)", in.TopicARN, res.MessageID)
	return nil
}

func (f *failover) assessmentText(as *Assessment) string {
	t := f.t
	var b strings.Builder
	fmt.Fprintf(&b, "Primary %s\nDR      %s\n", as.Primary.Summary(), as.DR.Summary())
	for _, o := range as.HealthChecks {
		fmt.Fprintf(&b, "Route 53 %s (%s): %s\n", o.Resource, o.Region, o.Observed)
	}
	active := 0
	for _, o := range as.Replicas {
		if o.OK {
			active++
		}
	}
	fmt.Fprintf(&b, "DynamoDB replicas ACTIVE in %s: %d/%d\n", t.DRRegion, active, len(as.Replicas))
	if len(as.Reads) > 0 {
		readable := 0
		for _, o := range as.Reads {
			if o.OK {
				readable++
			}
		}
		fmt.Fprintf(&b, "DynamoDB tables readable in %s (Scan --limit 1): %d/%d\n", t.DRRegion, readable, len(as.Reads))
	}
	fmt.Fprintf(&b, "Aurora replication lag → RPO estimate %s (objective %s)\n", rpoText(as), t.Objectives.RPO)
	for _, fi := range as.Findings {
		fmt.Fprintf(&b, "! %s\n", fi)
	}
	return b.String()
}

func (f *failover) gateSummary(ackNeeded bool) string {
	t := f.t
	var b strings.Builder
	fmt.Fprintf(&b, "Fail %s over from %s to %s.\n", t.ID(), t.PrimaryRegion, t.DRRegion)
	b.WriteString(f.assessmentText(f.rep.Assessment))
	b.WriteString("Approving will: ")
	switch t.Aurora.FailoverMode {
	case topology.FailoverDetachAndPromote:
		fmt.Fprintf(&b, "detach %s from %s (RemoveFromGlobalCluster)", t.Aurora.DRClusterID, t.Aurora.GlobalClusterID)
	case topology.FailoverPromoteReplica:
		fmt.Fprintf(&b, "promote read replica %s (PromoteReadReplicaDBCluster)", t.Aurora.DRClusterID)
	default:
		fmt.Fprintf(&b, "fail %s over to %s with data loss allowed (FailoverGlobalCluster)", t.Aurora.GlobalClusterID, t.Aurora.DRClusterID)
	}
	if t.Stacks.Activation == topology.ActivationCommand {
		fmt.Fprintf(&b, "; run %q", strings.Join(t.Stacks.DeployCommand, " "))
	} else {
		fmt.Fprintf(&b, "; set %s=true on %d stacks", t.Stacks.DRModeParameter, len(t.Stacks.Names))
	}
	fmt.Fprintf(&b, "; point %s at %s.", t.DNS.RecordName, t.DNS.Targets[t.DRRegion].DNSName)
	if ackNeeded {
		b.WriteString("\nThe RPO estimate exceeds the objective or is unknown: approve with acceptDataLoss=true.")
	}
	return b.String()
}

// ---- 3. database ----

func (f *failover) database(ctx workflow.Context) error {
	t := f.t
	in := activities.AuroraFailoverInput{Mode: t.Aurora.FailoverMode, Region: t.DRRegion, GlobalClusterID: t.Aurora.GlobalClusterID, DRClusterID: t.Aurora.DRClusterID}
	var res activities.AuroraFailoverResult
	c := mutateCtx(ctx, fmt.Sprintf("RDS %s: make %s the writer", t.Aurora.FailoverMode, t.Aurora.DRClusterID))
	if err := workflow.ExecuteActivity(c, a.FailoverAurora, in).Get(c, &res); err != nil {
		return err
	}
	if res.Action == activities.ActionStarted {
		f.action(fmt.Sprintf("rds %s: %s", res.Call, res.Detail))
	}
	var st activities.AuroraWriterState
	w := f.waitCtx(ctx, fmt.Sprintf("Wait until %s in %s is available and the writer", t.Aurora.DRClusterID, t.DRRegion), 30*time.Minute)
	if err := workflow.ExecuteActivity(w, a.WaitAuroraWriter, in).Get(w, &st); err != nil {
		return err
	}
	f.detail("database", "%s (%s); %s is %s and the writer after %d polls", res.Detail, res.Action, st.Cluster, st.Status, st.Progress.Polls)
	return nil
}

// ---- 5. activate ----

func (f *failover) activate(ctx workflow.Context) error {
	t := f.t
	if t.Stacks.Activation == topology.ActivationCommand {
		in := activities.DeployCommandInput{Argv: t.Stacks.DeployCommand, Dir: t.Stacks.DeployDir,
			Env: map[string]string{"AWS_REGION": t.DRRegion, "AWS_DEFAULT_REGION": t.DRRegion, "STAGE": t.Stage, "DR_MODE": "true"}}
		c := f.waitCtx(ctx, "Deploy to "+t.DRRegion+": "+strings.Join(t.Stacks.DeployCommand, " "), time.Hour)
		var res activities.DeployCommandResult
		if err := workflow.ExecuteActivity(c, a.RunDeployCommand, in).Get(c, &res); err != nil {
			return err
		}
		f.action(fmt.Sprintf("deploy command %q in %s: exit %d after %s", strings.Join(t.Stacks.DeployCommand, " "), t.DRRegion, res.ExitCode, res.Took.Round(time.Second)))
		f.detail("activate", "deploy command finished; last output: %s", lastLine(res.Tail))
		return nil
	}
	errs := make([]error, len(t.Stacks.Names))
	started := 0
	wg := workflow.NewWaitGroup(ctx)
	for i, stack := range t.Stacks.Names {
		wg.Add(1)
		workflow.Go(ctx, func(ctx workflow.Context) {
			defer wg.Done()
			in := activities.StackParamInput{Region: t.DRRegion, Stack: stack, Parameter: t.Stacks.DRModeParameter, Value: "true"}
			var res activities.StackParamResult
			c := mutateCtx(ctx, fmt.Sprintf("CloudFormation UpdateStack %s %s=true", stack, in.Parameter))
			if err := workflow.ExecuteActivity(c, a.SetStackParameter, in).Get(c, &res); err != nil {
				errs[i] = err
				return
			}
			if res.Action == activities.ActionStarted {
				started++
				f.action(fmt.Sprintf("cloudformation UpdateStack %s in %s: %s=true (previous template)", stack, t.DRRegion, in.Parameter))
			}
			w := f.waitCtx(ctx, fmt.Sprintf("Wait until %s is UPDATE_COMPLETE", stack), time.Hour)
			errs[i] = workflow.ExecuteActivity(w, a.WaitStackParameter, in).Get(w, nil)
		})
	}
	wg.Wait(ctx)
	if err := errors.Join(errs...); err != nil {
		var msgs []string
		for i, e := range errs {
			if e != nil {
				msgs = append(msgs, t.Stacks.Names[i]+": "+errMessage(e))
			}
		}
		if ctx.Err() != nil {
			return ctx.Err()
		}
		return errors.New(strings.Join(msgs, "; "))
	}
	f.detail("activate", "%d stacks with %s=true (%d updated by this run)", len(t.Stacks.Names), t.Stacks.DRModeParameter, started)
	return nil
}

func lastLine(s string) string {
	s = strings.TrimSpace(s)
	if i := strings.LastIndex(s, "\n"); i >= 0 {
		return s[i+1:]
	}
	return s
}

// ---- 4. DNS ----

func (f *failover) dns(ctx workflow.Context) error {
	t := f.t
	tg := t.DNS.Targets[t.DRRegion]
	in := activities.DNSCutoverInput{HostedZoneID: t.DNS.HostedZoneID, RecordName: t.DNS.RecordName, RecordType: t.DNS.RecordType,
		SetIdentifier: t.DNS.SetIdentifier, Region: t.DRRegion,
		Target: activities.RecordTarget{HostedZoneID: tg.HostedZoneID, DNSName: tg.DNSName, EvaluateTargetHealth: tg.EvaluateTargetHealth}}
	var res activities.DNSCutoverResult
	c := mutateCtx(ctx, fmt.Sprintf("Route 53 UPSERT %s → %s", t.DNS.RecordName, tg.DNSName))
	if err := workflow.ExecuteActivity(c, a.UpsertFailoverRecord, in).Get(c, &res); err != nil {
		return err
	}
	if !res.AlreadyInPlace {
		f.action(fmt.Sprintf("route53 UPSERT %s %s → %s (was %s), change %s", t.DNS.RecordName, t.DNS.RecordType, tg.DNSName, orNone(res.Previous), res.ChangeID))
	}
	if res.ChangeID == "" {
		f.detail("dns", "%s already pointed at %s before this run", t.DNS.RecordName, tg.DNSName)
		return nil
	}
	var st activities.ChangeState
	w := f.waitCtx(ctx, "Wait until Route 53 change "+res.ChangeID+" is INSYNC", 15*time.Minute)
	if err := workflow.ExecuteActivity(w, a.WaitDNSChange, activities.ChangeRef{ChangeID: res.ChangeID}).Get(w, &st); err != nil {
		return err
	}
	f.detail("dns", "%s → %s, change %s %s", t.DNS.RecordName, tg.DNSName, st.ChangeID, st.Status)
	return nil
}

func orNone(s string) string {
	if s == "" {
		return "no record"
	}
	return s
}

// ---- 6. verify ----

func (f *failover) verify(ctx workflow.Context) error {
	t := f.t
	v := &VerifyResult{}
	f.rep.Verify = v
	hc := describeCtx(ctx, "GET "+t.API.HealthURLs[t.DRRegion])
	healthF := workflow.ExecuteActivity(hc, a.CheckHealthURL, activities.URLCheckInput{Region: t.DRRegion, URL: t.API.HealthURLs[t.DRRegion]})
	prefix := commonPrefix(t.FunctionNames())
	fc := describeCtx(ctx, fmt.Sprintf("Lambda ListFunctions %s* in %s", prefix, t.DRRegion))
	fnF := workflow.ExecuteActivity(fc, a.ListFunctionsByPrefix, activities.FunctionsInput{Region: t.DRRegion, Prefix: prefix, Expect: t.FunctionNames()})
	scanF := make([]workflow.Future, len(t.Tables))
	for i, tb := range t.Tables {
		sc := describeCtx(ctx, fmt.Sprintf("DynamoDB Scan --limit 1 %s in %s", tb.Name, t.DRRegion))
		scanF[i] = workflow.ExecuteActivity(sc, a.ScanOne, activities.TableRef{Region: t.DRRegion, Table: tb.Name})
	}
	dc := describeCtx(ctx, "SELECT 1 on the DR writer "+t.Aurora.DRClusterID)
	dbF := workflow.ExecuteActivity(dc, a.CheckDatabaseWriter, activities.DBCheckInput{Region: t.DRRegion, ClusterID: t.Aurora.DRClusterID, DSNEnv: t.Aurora.DSNEnv})

	var health activities.URLCheckResult
	if err := healthF.Get(ctx, &health); err != nil {
		v.Problems = append(v.Problems, errMessage(err))
	} else {
		v.Health = &health
	}
	var fns activities.FunctionsResult
	if err := fnF.Get(ctx, &fns); err != nil {
		v.Problems = append(v.Problems, errMessage(err))
	} else {
		v.Functions = &fns
	}
	for _, fut := range scanF {
		var s activities.ScanResult
		if err := fut.Get(ctx, &s); err != nil {
			v.Problems = append(v.Problems, errMessage(err))
		} else {
			v.Scans = append(v.Scans, s)
		}
	}
	var db activities.DBCheckResult
	if err := dbF.Get(ctx, &db); err != nil {
		v.Problems = append(v.Problems, errMessage(err))
	} else {
		v.Database = &db
	}
	if ctx.Err() != nil {
		return ctx.Err()
	}
	dbText := "SELECT 1 skipped (" + db.Reason + ")"
	if v.Database != nil && !db.Skipped {
		dbText = "SELECT 1 ok, not in recovery"
	}
	f.detail("verify", "health %d, %d functions, %d/%d tables readable, %s", health.Status, len(fns.Found), len(v.Scans), len(t.Tables), dbText)
	if len(v.Problems) > 0 {
		return errors.New(strings.Join(v.Problems, "; "))
	}
	return nil
}

func commonPrefix(names []string) string {
	if len(names) == 0 {
		return ""
	}
	p := names[0]
	for _, n := range names[1:] {
		for !strings.HasPrefix(n, p) {
			p = p[:len(p)-1]
		}
	}
	return p
}

// ---- 7. monitor ----

// monitor lets traffic reach the DR region for the window, then reads the window's API Gateway metrics
// there: requests arrive, p95 latency under the threshold and the 5XX rate under its threshold.
func (f *failover) monitor(ctx workflow.Context) error {
	t := f.t
	window := f.req.MonitorWindow.D()
	if window == 0 {
		window = t.Thresholds.MonitorWindow.D()
	}
	if err := workflow.Sleep(ctx, window); err != nil {
		return err
	}
	// CloudWatch keeps one-minute datapoints: a shorter window (drills, tests) reads the last minute.
	q := func(metric, stat string) activities.MetricQuery {
		return activities.MetricQuery{Region: t.DRRegion, Namespace: "AWS/ApiGateway", Metric: metric, Stat: stat,
			Dimensions: []activities.Dimension{{Name: "ApiName", Value: t.API.Name}}, Period: time.Minute, Window: max(window, time.Minute)}
	}
	get := func(mq activities.MetricQuery) workflow.Future {
		c := describeCtx(ctx, fmt.Sprintf("CloudWatch %s %s in %s", mq.Metric, mq.Stat, t.DRRegion))
		return workflow.ExecuteActivity(c, a.GetMetric, mq)
	}
	countF, errF, latF := get(q("Count", "Sum")), get(q("5XXError", "Sum")), get(q("Latency", "p95"))
	var count, e5, lat activities.MetricResult
	if err := errors.Join(countF.Get(ctx, &count), errF.Get(ctx, &e5), latF.Get(ctx, &lat)); err != nil {
		return err
	}
	m := &MonitorResult{Window: window, Requests: count.Sum, Errors5xx: e5.Sum, LatencyP95: time.Duration(lat.Max * float64(time.Millisecond))}
	f.rep.Monitor = m
	if m.Requests > 0 {
		m.ErrorRate = m.Errors5xx / m.Requests
	}
	th := t.Thresholds
	if m.Requests == 0 {
		m.Problems = append(m.Problems, fmt.Sprintf("no API requests counted in %s: is traffic reaching the DR region?", t.DRRegion))
	}
	if len(lat.Points) == 0 {
		m.Problems = append(m.Problems, "no Latency datapoints in "+t.DRRegion)
	} else if m.LatencyP95 >= th.LatencyP95.D() {
		m.Problems = append(m.Problems, fmt.Sprintf("API latency p95 %s is not under %s", m.LatencyP95.Round(time.Millisecond), th.LatencyP95))
	}
	if m.ErrorRate >= th.Error5xxRate {
		m.Problems = append(m.Problems, fmt.Sprintf("5XX rate %.2f%% is not under %.2f%%", m.ErrorRate*100, th.Error5xxRate*100))
	}
	m.Pass = len(m.Problems) == 0
	f.detail("monitor", "%.0f requests, 5XX %.2f%%, p95 %s over %s", m.Requests, m.ErrorRate*100, m.LatencyP95.Round(time.Millisecond), window)
	if !m.Pass {
		return errors.New(strings.Join(m.Problems, "; "))
	}
	return nil
}

// ---- 8. communicate ----

func (f *failover) communicate(ctx workflow.Context) error {
	t := f.t
	msg := fmt.Sprintf("Service restored from %s after the %s outage. RTO %s (objective %s), RPO estimate %s (objective %s).",
		t.DRRegion, t.PrimaryRegion, f.rep.RTO.Round(time.Second), t.Objectives.RTO, rpoText(f.rep.Assessment), t.Objectives.RPO)
	c := describeCtx(ctx, "SNS: failover complete")
	pub := workflow.ExecuteActivity(c, a.Publish, activities.PublishInput{Region: t.DRRegion, TopicARN: t.TopicARN(t.DRRegion),
		Subject: fmt.Sprintf("RESOLVED: %s now serving from %s", t.ID(), t.DRRegion), Message: msg + "\n\nActions:\n- " + strings.Join(f.rep.Actions, "\n- ")})
	var hook workflow.Future
	if t.StatusPageWebhookEnv != "" {
		wc := describeCtx(ctx, "Status page update")
		hook = workflow.ExecuteActivity(wc, a.PostStatusPage, activities.WebhookInput{URLEnv: t.StatusPageWebhookEnv, Key: workflow.GetInfo(ctx).WorkflowExecution.RunID + "/monitoring",
			Update: activities.StatusUpdate{Incident: "region-outage-" + t.PrimaryRegion, Status: "monitoring", Component: t.API.Name, Message: msg, At: workflow.Now(ctx)}})
	}
	err := pub.Get(ctx, nil)
	if hook != nil {
		err = errors.Join(err, hook.Get(ctx, nil))
	}
	if err != nil {
		return err
	}
	if hook != nil {
		f.detail("communicate", "published to the alarm topic and posted to the status page")
	} else {
		f.detail("communicate", "published to the alarm topic (no status-page webhook configured)")
	}
	return nil
}

// ---- report ----

func (f *failover) doneSoFar(phase string) string {
	if len(f.rep.Actions) == 0 {
		return fmt.Sprintf("RegionFailover of %s %s. Nothing was changed in AWS.", f.t.ID(), phase)
	}
	return fmt.Sprintf("RegionFailover of %s %s. Changes made before it stopped:\n- %s\nSteps that did not finish are listed in the report.",
		f.t.ID(), phase, strings.Join(f.rep.Actions, "\n- "))
}

func (f *failover) report(phase string) FailoverReport {
	rep := *f.rep
	rep.RunSummary = f.r.summary(phase)
	t := f.t
	if as := rep.Assessment; as != nil {
		rep.RPOEstimate, rep.RPOKnown = as.RPOEstimate, as.RPOKnown
		rep.RPOMet = as.RPOKnown && as.RPOEstimate <= t.Objectives.RPO.D()
	}
	if phase != PhaseCompleted && rep.ValidatedAt.IsZero() {
		rep.RTO = 0
	}
	rep.RTOSeconds = rep.RTO.Seconds()
	rep.RTOMet = rep.RTO > 0 && rep.RTO <= t.Objectives.RTO.D()
	rep.Checklist = f.checklist()
	return rep
}

// checklist maps the runbook's Recovery Validation Checklist items that software can check to what this
// run observed; the others (payments, X-Ray, ...) stay with the humans.
func (f *failover) checklist() []ChecklistItem {
	t, v, m, as := f.t, f.rep.Verify, f.rep.Monitor, f.rep.Assessment
	item := func(section, name string, checked, ok bool, evidence string) ChecklistItem {
		st := "not-checked"
		if checked {
			st = Fail
			if ok {
				st = Pass
			}
		}
		return ChecklistItem{Section: section, Item: name, Status: st, Evidence: evidence}
	}
	var out []ChecklistItem
	if v != nil {
		h := "health URL did not answer 2xx"
		if v.Health != nil {
			h = fmt.Sprintf("GET %s → %d in %s", v.Health.URL, v.Health.Status, v.Health.Latency.Round(time.Millisecond))
		}
		out = append(out, item("Functional Tests", "API endpoints respond correctly", true, v.Health != nil, h))
		readable := map[string]bool{}
		for _, s := range v.Scans {
			readable[s.Table] = true
		}
		var users []string
		for _, tb := range t.Tables {
			if strings.Contains(tb.Name, "user") {
				users = append(users, tb.Name)
			}
		}
		allUsers := len(users) > 0
		for _, u := range users {
			allUsers = allUsers && readable[u]
		}
		out = append(out, item("Data Integrity", "User accounts are accessible", len(users) > 0, allUsers,
			fmt.Sprintf("Scan --limit 1 in %s on %s", t.DRRegion, strings.Join(users, ", "))))
		dbOK := v.Database != nil && !v.Database.Skipped
		ev := "no DSN configured (aurora.dsnEnv)"
		if v.Database != nil && v.Database.Skipped {
			ev = v.Database.Reason
		} else if dbOK {
			ev = "SELECT 1 on " + v.Database.Server + ", pg_is_in_recovery() = false"
		} else {
			ev = "SELECT 1 failed"
		}
		out = append(out, item("Performance", "Database queries perform normally", v.Database == nil || !v.Database.Skipped, dbOK, ev))
	}
	if as != nil {
		out = append(out, item("Data Integrity", "No data loss beyond RPO", as.RPOKnown, as.RPOEstimate <= t.Objectives.RPO.D(),
			fmt.Sprintf("RPO estimate %s (Aurora replication lag) against %s", rpoText(as), t.Objectives.RPO)))
	}
	if m != nil {
		out = append(out, item("Performance", fmt.Sprintf("API latency is within SLA (P95 < %s)", t.Thresholds.LatencyP95), true, m.LatencyP95 < t.Thresholds.LatencyP95.D(),
			fmt.Sprintf("p95 %s in %s", m.LatencyP95.Round(time.Millisecond), t.DRRegion)))
		out = append(out, item("Monitoring", "CloudWatch metrics are being collected", true, m.Requests > 0,
			fmt.Sprintf("%.0f API requests counted in %s over %s", m.Requests, t.DRRegion, m.Window)))
	}
	return out
}

// String renders the report for terminals.
func (r FailoverReport) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "RegionFailover %s → %s: %s\n", r.PrimaryRegion, r.DRRegion, strings.ToUpper(r.Outcome))
	rto := "not reached"
	if r.RTO > 0 {
		rto = fmt.Sprintf("%s (objective %s, %s)", r.RTO.Round(time.Second), r.RTOObjective, metText(r.RTOMet))
	}
	rpo := "unknown"
	if r.RPOKnown {
		rpo = fmt.Sprintf("%s estimated (objective %s, %s)", r.RPOEstimate.Round(time.Millisecond), r.RPOObjective, metText(r.RPOMet))
	}
	fmt.Fprintf(&b, "RTO %s\nRPO %s\n\n", rto, rpo)
	fmt.Fprintf(&b, "%-45s %-9s %10s %8s  %s\n", "STEP", "OUTCOME", "TOOK", "BUDGET", "DETAIL")
	for _, s := range r.Steps {
		budget := ""
		if s.Budget > 0 {
			budget = s.Budget.String()
		}
		line := s.Detail
		if s.Error != "" {
			line = s.Error
		}
		fmt.Fprintf(&b, "%-45s %-9s %10s %8s  %s\n", s.Title, s.Outcome, s.Duration().Round(time.Millisecond), budget, line)
	}
	if len(r.Actions) > 0 {
		b.WriteString("\nChanges made in AWS:\n")
		for _, a := range r.Actions {
			fmt.Fprintf(&b, "  - %s\n", a)
		}
	}
	if len(r.Checklist) > 0 {
		b.WriteString("\nRecovery Validation Checklist (items software can check):\n")
		for _, c := range r.Checklist {
			fmt.Fprintf(&b, "  [%s] %s / %s — %s\n", c.Status, c.Section, c.Item, c.Evidence)
		}
	}
	for _, n := range r.Notes {
		if !strings.HasPrefix(n, "AWS: ") { // already listed under the changes
			fmt.Fprintf(&b, "note: %s\n", n)
		}
	}
	return b.String()
}

func metText(ok bool) string {
	if ok {
		return "met"
	}
	return "MISSED"
}

var _ json.Unmarshaler = (*FailoverRequest)(nil)
