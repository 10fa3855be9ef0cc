package workflows

import (
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/roadcall/dr/activities"
	"github.com/roadcall/dr/internal/topology"
)

// How the Aurora writer gets back to the primary region.
const (
	AuroraSwitchover     = "switchover"      // global database intact: wait for lag near zero, SwitchoverGlobalCluster
	AuroraAlreadyPrimary = "already-primary" // the primary's cluster already writes for the global database
	AuroraRebuild        = "rebuild"         // DR cluster detached or promoted: snapshot, operator rebuild, gated
)

// Runbook budgets of the "Failback Procedure" (steps 1 to 5); the database switchover and the decommission
// take the Scenario 1 budgets of the same work.
var failbackScenario = scenario{Workflow: WorkflowFailback, Key: ScenarioFailback, Gates: []string{GateRebuild, GateFailback}, Budgets: failbackBudgets}

var failbackBudgets = map[string]time.Duration{
	"verify-primary": 15 * time.Minute, "data-sync": 30 * time.Minute, "database": 10 * time.Minute, "dns": 5 * time.Minute,
	"verify": 10 * time.Minute, "monitor": 15 * time.Minute, "decommission": 20 * time.Minute,
}

// FailbackRequest starts Failback: the runbook's "Failback Procedure", from the DR region back to the
// topology's primary region.
type FailbackRequest struct {
	Common
	// MonitorWindow overrides thresholds.monitorWindow: how long primary traffic is watched after DNS moves.
	MonitorWindow topology.Duration `json:"monitorWindow,omitempty"`
	// WaitHeartbeat overrides the heartbeat timeout of the waits (default 30s).
	WaitHeartbeat topology.Duration `json:"waitHeartbeat,omitempty"`
	// RestoreDRMode is the DR-mode parameter each DR stack had before the failover (a drill records it);
	// stacks not named go back to "false", the standby setting.
	RestoreDRMode map[string]string `json:"restoreDrMode,omitempty"`
	// DecommissionCommand is argv that scales DR down in the command activation mode; by default the
	// topology's deploy command with drMode=true turned into drMode=false.
	DecommissionCommand []string `json:"decommissionCommand,omitempty"`
	// RebuildTimeout bounds the wait for an operator's rebuild of a detached primary (default 24h).
	RebuildTimeout topology.Duration `json:"rebuildTimeout,omitempty"`
}

func (r *FailbackRequest) UnmarshalJSON(b []byte) error {
	type plain FailbackRequest
	return decodeStrict(b, (*plain)(r), &r.decodeProblem)
}

// Validate is everything the workflow checks before any AWS call; the starter runs it before starting.
func (r *FailbackRequest) Validate() error {
	if err := r.Prepare(); err != nil {
		return err
	}
	t := r.Topology
	es := negativeDurations(durationField{"monitorWindow", r.MonitorWindow}, durationField{"waitHeartbeat", r.WaitHeartbeat}, durationField{"rebuildTimeout", r.RebuildTimeout})
	for _, stack := range sortedKeys(r.RestoreDRMode) {
		if !slices.Contains(t.Stacks.Names, stack) {
			es = append(es, topology.FieldError{Field: "restoreDrMode." + stack, Problem: "is not a DR stack of the topology",
				Fix: "name one of " + strings.Join(t.Stacks.Names, ", ")})
		}
	}
	if t.Stacks.Activation == topology.ActivationCommand && len(r.decommissionArgv()) == 0 {
		es = append(es, topology.FieldError{Field: "decommissionCommand", Problem: "is missing and the deploy command has no drMode=true to turn off",
			Fix: "give the command that scales DR back down, e.g. [\"pnpm\",\"cdk\",\"deploy\",\"--all\",\"--context\",\"drMode=false\"]"})
	}
	es = append(es, r.initiatorProblems()...)
	if len(es) > 0 {
		return es
	}
	return nil
}

// decommissionArgv is the command that scales DR down in the command activation mode.
func (r *FailbackRequest) decommissionArgv() []string {
	if len(r.DecommissionCommand) > 0 {
		return r.DecommissionCommand
	}
	var out []string
	found := false
	for _, a := range r.Topology.Stacks.DeployCommand {
		if strings.Contains(a, "drMode=true") {
			a, found = strings.ReplaceAll(a, "drMode=true", "drMode=false"), true
		}
		out = append(out, a)
	}
	if !found {
		return nil
	}
	return out
}

// SyncResult is step 2: is the data where the primary can serve it?
type SyncResult struct {
	Tables     []Observation `json:"tables"`
	AuroraPath string        `json:"auroraPath"`
	AuroraLag  time.Duration `json:"auroraLag,omitempty"`
	Aurora     string        `json:"aurora"`
}

// FailbackReport is Failback's result.
type FailbackReport struct {
	RunSummary
	PrimaryRegion string `json:"primaryRegion"`
	DRRegion      string `json:"drRegion"`
	// Precheck is step 1: the record has moved to DR and the primary is healthy.
	Precheck   []CheckRow  `json:"precheck"`
	Sync       *SyncResult `json:"sync,omitempty"`
	AuroraPath string      `json:"auroraPath,omitempty"`
	// Snapshot is the DR cluster snapshot taken on the rebuild path.
	Snapshot string         `json:"snapshot,omitempty"`
	Actions  []string       `json:"actions"`
	Verify   *VerifyResult  `json:"verify,omitempty"`
	Monitor  *MonitorResult `json:"monitor,omitempty"`
	// ValidatedAt is when the primary was verified serving; RTO runs from DetectedAt (the start) to it.
	ValidatedAt  time.Time       `json:"validatedAt,omitzero"`
	RTO          time.Duration   `json:"rto"`
	RTOSeconds   float64         `json:"rtoSeconds"`
	RTOObjective time.Duration   `json:"rtoObjective"`
	RTOMet       bool            `json:"rtoMet"`
	RPO          time.Duration   `json:"rpo"`
	RPOKnown     bool            `json:"rpoKnown"`
	RPOObjective time.Duration   `json:"rpoObjective"`
	RPOMet       bool            `json:"rpoMet"`
	Checklist    []ChecklistItem `json:"checklist"`
}

// errRefused ends a failback at its pre-check.
var errRefused = errors.New("failback refused")

type failback struct {
	r   *run
	req FailbackRequest
	t   topology.Topology
	rep *FailbackReport
	// back runs RegionFailover's DNS, verify and monitor steps with the regions swapped, so a failback
	// moves and checks the primary exactly as a failover moves and checks DR.
	back *failover
}

// primaryView is the topology seen from the failback: the region being moved into is the primary. The DSN
// names the DR writer, so the database check is left out rather than run against the wrong cluster.
func primaryView(t topology.Topology) topology.Topology {
	v := t
	v.PrimaryRegion, v.DRRegion = t.DRRegion, t.PrimaryRegion
	v.Aurora.PrimaryClusterID, v.Aurora.DRClusterID = t.Aurora.DRClusterID, t.Aurora.PrimaryClusterID
	v.Aurora.DSNEnv = ""
	return v
}

// Failback is the runbook's "Failback Procedure": verify the primary, check the data is in sync, gate,
// move the Aurora writer back (planned switchover, RPO 0), point DNS at the primary, verify and monitor
// it, then scale DR back down to standby with replication kept. It refuses, changing nothing, when no
// failover happened or the primary is not healthy yet.
func Failback(ctx workflow.Context, req FailbackRequest) (FailbackReport, error) {
	if err := req.Validate(); err != nil {
		return FailbackReport{}, invalid(err)
	}
	t := req.Topology
	r, err := start(ctx, failbackScenario, &req.Common)
	if err != nil {
		return FailbackReport{}, err
	}
	fb := &failback{r: r, req: req, t: t, rep: &FailbackReport{PrimaryRegion: t.PrimaryRegion, DRRegion: t.DRRegion,
		RTOObjective: t.Objectives.RTO.D(), RPOObjective: t.Objectives.RPO.D()}}
	fb.back = &failover{r: r, t: primaryView(t), rep: &FailoverReport{Actions: []string{}},
		req: FailoverRequest{Common: req.Common, MonitorWindow: req.MonitorWindow, WaitHeartbeat: req.WaitHeartbeat}}
	err = fb.execute()
	if errors.Is(err, errRefused) {
		r.finish(PhaseRefused, 0)
		return FailbackReport{}, temporal.NewNonRetryableApplicationError(fb.refusal(), ErrFailbackRefused, nil, fb.rep.Precheck)
	}
	phase := r.settle(ctx, err)
	if phase != PhaseCompleted {
		r.notify(fmt.Sprintf("Failback %s %s", t.ID(), phase), fb.doneSoFar(phase))
	}
	r.finish(phase, fb.rep.RTO)
	return fb.report(phase), nil
}

func (fb *failback) execute() error {
	r, t := fb.r, fb.t
	if err := r.step("verify-primary", "1. Verify the primary region's health", stepOpts{Critical: true, Budget: failbackBudgets["verify-primary"]}, fb.precheck); err != nil {
		return err
	}
	if fb.refused() {
		rec := r.status.Step("verify-primary")
		rec.Outcome, rec.Error = OutcomeFailed, fb.refusal()
		r.status.LastError = "verify-primary: " + rec.Error
		r.publish()
		return errRefused
	}
	if err := r.step("data-sync", "2. Verify data is in sync", stepOpts{Critical: true, Budget: failbackBudgets["data-sync"]}, fb.sync); err != nil {
		return err
	}
	if fb.rep.AuroraPath == AuroraRebuild {
		if _, err := r.gate(GateRebuild, gateOpts{Summary: fb.rebuildSummary()}); err != nil {
			return err
		}
		if err := r.step("snapshot", "2. Snapshot the DR cluster "+t.Aurora.DRClusterID, stepOpts{Critical: true}, fb.snapshot); err != nil {
			return err
		}
		if err := r.step("rebuild", "2. Wait for the operator's rebuild of the primary cluster", stepOpts{Critical: true}, fb.awaitRebuild); err != nil {
			return err
		}
	}
	if _, err := r.gate(GateFailback, gateOpts{Summary: fb.gateSummary()}); err != nil {
		return err
	}
	if fb.rep.AuroraPath == AuroraSwitchover {
		if err := r.step("database", "2. Switch the Aurora writer back to "+t.PrimaryRegion+" (RPO 0)", stepOpts{Critical: true, Budget: failbackBudgets["database"]}, fb.switchover); err != nil {
			return err
		}
	}
	if err := r.step("dns", "3. Point DNS back to "+t.PrimaryRegion, stepOpts{Critical: true, Budget: failbackBudgets["dns"]}, fb.back.dns); err != nil {
		return err
	}
	if err := r.step("verify", "4. Verify services in "+t.PrimaryRegion, stepOpts{Critical: true, Budget: failbackBudgets["verify"]}, fb.back.verify); err != nil {
		return err
	}
	fb.rep.ValidatedAt = workflow.Now(r.ctx)
	if err := r.step("monitor", "4. Monitor the failback", stepOpts{Budget: failbackBudgets["monitor"]}, fb.back.monitor); err != nil {
		return err
	}
	if rec := r.status.Step("monitor"); rec != nil && rec.Outcome == OutcomeOK {
		fb.rep.ValidatedAt = rec.Ended
	}
	fb.rep.RTO = fb.rep.ValidatedAt.Sub(r.status.DetectedAt)
	// Scaling DR down is not critical: the service is back; an operator may skip it and finish by hand.
	if err := r.step("decommission", "5. Decommission DR active resources (replication kept)", stepOpts{Budget: failbackBudgets["decommission"]}, fb.decommission); err != nil {
		return err
	}
	return r.step("communicate", "Communicate status", stepOpts{}, fb.communicate)
}

func (fb *failback) action(s string) { fb.back.action(s) }

func (fb *failback) detail(step, format string, args ...any) { fb.back.detail(step, format, args...) }

// ---- 1. verify the primary; refuse when there is nothing to fail back ----

// Check names of the pre-check rows.
const (
	checkRecord    = "dns-record"
	checkReachable = "primary-reachable"
	checkStackName = "primary-stack"
)

func (fb *failback) precheck(ctx workflow.Context) error {
	t := fb.t
	checks := []func(workflow.Context) CheckRow{fb.checkRecord, fb.checkReachable}
	for _, hc := range t.HealthChecks {
		if hc.Region == t.PrimaryRegion {
			checks = append(checks, func(ctx workflow.Context) CheckRow { return checkHealth(ctx, hc.ID, hc.Region) })
		}
	}
	for _, st := range t.Stacks.Names {
		checks = append(checks, func(ctx workflow.Context) CheckRow { return fb.checkPrimaryStack(ctx, st) })
	}
	fb.rep.Precheck = gatherRows(ctx, checks)
	pass := 0
	for _, row := range fb.rep.Precheck {
		if row.Status == Pass {
			pass++
		}
	}
	fb.detail("verify-primary", "%d/%d checks pass", pass, len(fb.rep.Precheck))
	return nil
}

// gatherRows runs read-only checks at once and keeps their rows in a fixed order, so replays match.
func gatherRows(ctx workflow.Context, checks []func(workflow.Context) CheckRow) []CheckRow {
	rows := make([]CheckRow, len(checks))
	wg := workflow.NewWaitGroup(ctx)
	for i, c := range checks {
		wg.Add(1)
		workflow.Go(ctx, func(ctx workflow.Context) {
			defer wg.Done()
			rows[i] = c(ctx)
		})
	}
	wg.Wait(ctx)
	return rows
}

func (fb *failback) recordInput(region string) activities.DNSCutoverInput {
	t := fb.t
	tg := t.DNS.Targets[region]
	return activities.DNSCutoverInput{HostedZoneID: t.DNS.HostedZoneID, RecordName: t.DNS.RecordName, RecordType: t.DNS.RecordType,
		SetIdentifier: t.DNS.SetIdentifier, Region: region,
		Target: activities.RecordTarget{HostedZoneID: tg.HostedZoneID, DNSName: tg.DNSName, EvaluateTargetHealth: tg.EvaluateTargetHealth}}
}

func (fb *failback) checkRecord(ctx workflow.Context) CheckRow {
	t := fb.t
	threshold := "aliases " + t.DNS.Targets[t.DRRegion].DNSName
	var st activities.RecordState
	c := describeCtx(ctx, "Route 53 ListResourceRecordSets "+t.DNS.RecordName)
	if err := workflow.ExecuteActivity(c, a.DescribeFailoverRecord, fb.recordInput(t.PrimaryRegion)).Get(c, &st); err != nil {
		return errRow(checkRecord, t.DNS.RecordName, threshold, err)
	}
	row := CheckRow{Check: checkRecord, Resource: t.DNS.RecordName, Threshold: threshold, Status: Fail, Observed: "alias " + st.AliasDNSName}
	switch {
	case !st.Exists:
		row.Observed, row.Reason = "no record", "the record does not exist in zone "+t.DNS.HostedZoneID
	case sameDNS(st.AliasDNSName, t.DNS.Targets[t.PrimaryRegion].DNSName):
		row.Reason = fmt.Sprintf("no failover has happened: %s already points at %s in %s", t.DNS.RecordName, st.AliasDNSName, t.PrimaryRegion)
	case sameDNS(st.AliasDNSName, t.DNS.Targets[t.DRRegion].DNSName):
		row.Status = Pass
	default:
		row.Reason = fmt.Sprintf("%s points at %s, which is neither region's endpoint; fix the record or the topology first", t.DNS.RecordName, st.AliasDNSName)
	}
	return row
}

func sameDNS(a, b string) bool {
	return strings.EqualFold(strings.TrimSuffix(a, "."), strings.TrimSuffix(b, "."))
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
	row := CheckRow{Check: checkReachable, Resource: t.PrimaryRegion, Status: Pass, Observed: r.Summary(), Threshold: threshold}
	if !r.Reachable || (url != "" && !r.Healthy) {
		row.Status, row.Reason = Fail, "the primary region is still unhealthy: "+r.Summary()
	}
	return row
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
	switch {
	case !st.Exists:
		return CheckRow{checkStackName, res, Fail, "missing", "*_COMPLETE", "the primary stack does not exist"}
	case !strings.HasSuffix(st.Status, "_COMPLETE") || strings.Contains(st.Status, "ROLLBACK") || strings.Contains(st.Status, "DELETE"):
		return CheckRow{checkStackName, res, Fail, st.Status, "*_COMPLETE", "the primary stack is not in a usable complete state"}
	}
	return CheckRow{Check: checkStackName, Resource: res, Status: Pass, Observed: st.Status, Threshold: "*_COMPLETE"}
}

func (fb *failback) refused() bool {
	for _, row := range fb.rep.Precheck {
		if row.Status == Fail {
			return true
		}
	}
	return false
}

// refusal says why nothing was done: "no failover" first, since then the primary's health is moot.
func (fb *failback) refusal() string {
	var noFailover string
	var unhealthy []string
	for _, row := range fb.rep.Precheck {
		switch {
		case row.Status != Fail:
		case row.Check == checkRecord:
			noFailover = row.Reason
		default:
			unhealthy = append(unhealthy, fmt.Sprintf("%s %s: %s", row.Check, row.Resource, orText(row.Reason, row.Observed)))
		}
	}
	var parts []string
	if noFailover != "" {
		parts = append(parts, noFailover)
	}
	if len(unhealthy) > 0 {
		parts = append(parts, fmt.Sprintf("the primary region %s is not ready to take traffic back (%s)", fb.t.PrimaryRegion, strings.Join(unhealthy, "; ")))
	}
	return fmt.Sprintf("failback of %s refused, nothing was changed: %s", fb.t.ID(), strings.Join(parts, "; and "))
}

func orText(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

// ---- 2. data in sync ----

func (fb *failback) sync(ctx workflow.Context) error {
	t := fb.t
	th := t.Thresholds.DynamoReplicationWarn.D()
	type tableFutures struct{ primary, dr, toPrimary, toDR workflow.Future }
	futs := make([]tableFutures, len(t.Tables))
	latency := func(from, to, table string) workflow.Future {
		q := activities.MetricQuery{Region: from, Namespace: "AWS/DynamoDB", Metric: "ReplicationLatency", Stat: "Maximum", Period: time.Minute, Window: 5 * time.Minute,
			Dimensions: []activities.Dimension{{Name: "TableName", Value: table}, {Name: "ReceivingRegion", Value: to}}}
		c := describeCtx(ctx, fmt.Sprintf("CloudWatch DynamoDB ReplicationLatency %s %s → %s", table, from, to))
		return workflow.ExecuteActivity(c, a.GetMetric, q)
	}
	for i, tb := range t.Tables {
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
	for i, tb := range t.Tables {
		var p, d activities.TableInfo
		var toP, toD activities.MetricResult
		o := Observation{Resource: "DynamoDB " + tb.Name, Region: t.PrimaryRegion + "⇄" + t.DRRegion, OK: true}
		var notes []string
		if err := errors.Join(futs[i].primary.Get(ctx, &p), futs[i].dr.Get(ctx, &d)); err != nil {
			o.OK, notes = false, append(notes, "unreadable: "+errMessage(err))
		} else {
			inDR, inPrimary := p.Replicas[t.DRRegion], d.Replicas[t.PrimaryRegion]
			notes = append(notes, fmt.Sprintf("replica %s %s, replica %s %s", t.DRRegion, orText(inDR, "missing"), t.PrimaryRegion, orText(inPrimary, "missing")))
			if p.Status != "ACTIVE" || d.Status != "ACTIVE" || inDR != "ACTIVE" || inPrimary != "ACTIVE" {
				o.OK = false
			}
		}
		for _, dir := range []struct {
			from, to string
			f        workflow.Future
			m        *activities.MetricResult
		}{{t.DRRegion, t.PrimaryRegion, futs[i].toPrimary, &toP}, {t.PrimaryRegion, t.DRRegion, futs[i].toDR, &toD}} {
			if err := dir.f.Get(ctx, dir.m); err != nil {
				o.OK, notes = false, append(notes, fmt.Sprintf("latency %s→%s unreadable: %s", dir.from, dir.to, errMessage(err)))
				continue
			}
			if len(dir.m.Points) == 0 {
				// A table nobody wrote to in five minutes publishes no latency: nothing is waiting to replicate.
				notes = append(notes, fmt.Sprintf("latency %s→%s: no recent writes", dir.from, dir.to))
				continue
			}
			lat := time.Duration(dir.m.Max * float64(time.Millisecond))
			notes = append(notes, fmt.Sprintf("latency %s→%s %s", dir.from, dir.to, lat.Round(time.Millisecond)))
			if lat >= th {
				o.OK = false
			}
		}
		o.Observed = strings.Join(notes, "; ")
		if !o.OK {
			problems = append(problems, fmt.Sprintf("%s not in sync (%s; want replicas ACTIVE both ways and latency < %s)", tb.Name, o.Observed, th))
		}
		res.Tables = append(res.Tables, o)
	}
	var g activities.GlobalClusterInfo
	if err := globalF.Get(ctx, &g); err != nil {
		return errors.New(strings.Join(append(problems, "Aurora: "+errMessage(err)), "; "))
	}
	res.AuroraPath, res.Aurora = fb.auroraPath(g)
	fb.rep.AuroraPath = res.AuroraPath
	if len(problems) > 0 {
		return errors.New(strings.Join(problems, "; "))
	}
	if res.AuroraPath == AuroraSwitchover {
		in := activities.LagInput{Region: t.PrimaryRegion, ClusterID: t.Aurora.PrimaryClusterID, Below: t.Thresholds.AuroraLagWarn.D()}
		var st activities.LagState
		w := fb.back.waitCtx(ctx, fmt.Sprintf("Wait until %s lags %s by < %s", t.Aurora.PrimaryClusterID, t.Aurora.DRClusterID, in.Below), 30*time.Minute)
		if err := workflow.ExecuteActivity(w, a.WaitAuroraLag, in).Get(w, &st); err != nil {
			return err
		}
		res.AuroraLag = st.Lag
		res.Aurora += fmt.Sprintf("; lag %s", st.Lag.Round(time.Millisecond))
	}
	fb.detail("data-sync", "%d tables replicating both ways; Aurora: %s", len(res.Tables), res.Aurora)
	return nil
}

// auroraPath reads the global database: both clusters members → switch over (or nothing, when the primary
// already writes); the DR cluster outside it (detached or promoted) → rebuild.
func (fb *failback) auroraPath(g activities.GlobalClusterInfo) (string, string) {
	t := fb.t
	var primary, dr *activities.GlobalMember
	for i := range g.Members {
		switch g.Members[i].ClusterID {
		case t.Aurora.PrimaryClusterID:
			primary = &g.Members[i]
		case t.Aurora.DRClusterID:
			dr = &g.Members[i]
		}
	}
	switch {
	case dr == nil || primary == nil:
		missing := t.Aurora.DRClusterID
		if dr != nil {
			missing = t.Aurora.PrimaryClusterID
		}
		return AuroraRebuild, fmt.Sprintf("%s is not a member of %s (%d members): the global database must be rebuilt", missing, t.Aurora.GlobalClusterID, len(g.Members))
	case primary.IsWriter && g.FailoverStatus == "":
		return AuroraAlreadyPrimary, fmt.Sprintf("%s in %s already writes for %s", t.Aurora.PrimaryClusterID, t.PrimaryRegion, t.Aurora.GlobalClusterID)
	}
	return AuroraSwitchover, fmt.Sprintf("global database intact, writer %s; planned switchover to %s", writerName(g), t.Aurora.PrimaryClusterID)
}

func writerName(g activities.GlobalClusterInfo) string {
	if w, ok := g.Writer(); ok {
		return w.ClusterID
	}
	return "none"
}

// ---- 2, rebuild path ----

func (fb *failback) snapshotID() string {
	return fmt.Sprintf("%s-failback-%s", fb.t.Aurora.DRClusterID, fb.r.status.StartedAt.UTC().Format("20060102-150405"))
}

func (fb *failback) rebuildSummary() string {
	t := fb.t
	return fmt.Sprintf(`%s. Approving takes snapshot %s of %s in %s, then waits until %s in %s writes for global database %s again.
Meanwhile rebuild it (AWS cannot re-attach a cluster that holds data to a global database):
1. RemoveFromGlobalCluster %s (its writes since the outage are kept: snapshot it), then rename it (ModifyDBCluster --new-db-cluster-identifier) or delete it;
2. delete the emptied global cluster and CreateGlobalCluster --global-cluster-identifier %s --source-db-cluster-identifier <ARN of %s>;
3. CreateDBCluster %s --global-cluster-identifier %s in %s, plus CreateDBInstance;
4. when its lag is near zero, SwitchoverGlobalCluster to it (RPO 0).
Reject to stop here with nothing changed.`,
		fb.rep.Sync.Aurora, fb.snapshotID(), t.Aurora.DRClusterID, t.DRRegion, t.Aurora.PrimaryClusterID, t.PrimaryRegion, t.Aurora.GlobalClusterID,
		t.Aurora.PrimaryClusterID, t.Aurora.GlobalClusterID, t.Aurora.DRClusterID, t.Aurora.PrimaryClusterID, t.Aurora.GlobalClusterID, t.PrimaryRegion)
}

func (fb *failback) snapshot(ctx workflow.Context) error {
	t := fb.t
	in := activities.ClusterSnapshotInput{Region: t.DRRegion, ClusterID: t.Aurora.DRClusterID, SnapshotID: fb.snapshotID()}
	var st activities.ClusterSnapshotState
	c := mutateCtx(ctx, "RDS CreateDBClusterSnapshot "+in.SnapshotID)
	if err := workflow.ExecuteActivity(c, a.SnapshotCluster, in).Get(c, &st); err != nil {
		return err
	}
	if st.Created {
		fb.action(fmt.Sprintf("rds CreateDBClusterSnapshot %s of %s in %s", in.SnapshotID, in.ClusterID, in.Region))
	}
	w := fb.back.waitCtx(ctx, "Wait until snapshot "+in.SnapshotID+" is available", 2*time.Hour)
	if err := workflow.ExecuteActivity(w, a.WaitClusterSnapshot, in).Get(w, &st); err != nil {
		return err
	}
	fb.rep.Snapshot = st.ARN
	fb.detail("snapshot", "%s %s", in.SnapshotID, st.Status)
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
	w := fb.back.waitCtx(ctx, fmt.Sprintf("Wait until %s in %s writes for %s (operator rebuild)", t.Aurora.PrimaryClusterID, t.PrimaryRegion, t.Aurora.GlobalClusterID), timeout)
	if err := workflow.ExecuteActivity(w, a.WaitAuroraWriter, in).Get(w, &st); err != nil {
		return err
	}
	fb.detail("rebuild", "%s is %s and writes for %s", st.Cluster, st.Status, t.Aurora.GlobalClusterID)
	return nil
}

// ---- gate ----

func (fb *failback) gateSummary() string {
	t, s := fb.t, fb.rep.Sync
	var b strings.Builder
	fmt.Fprintf(&b, "Fail %s back from %s to %s.\n", t.ID(), t.DRRegion, t.PrimaryRegion)
	for _, row := range fb.rep.Precheck {
		fmt.Fprintf(&b, "%s %s: %s\n", row.Check, row.Resource, row.Observed)
	}
	in := 0
	for _, o := range s.Tables {
		if o.OK {
			in++
		}
	}
	fmt.Fprintf(&b, "DynamoDB tables in sync both ways: %d/%d\nAurora: %s\n", in, len(s.Tables), s.Aurora)
	b.WriteString("Approving will: ")
	if fb.rep.AuroraPath == AuroraSwitchover {
		fmt.Fprintf(&b, "switch %s over to %s (SwitchoverGlobalCluster, no data loss; writes pause while the roles change); ", t.Aurora.GlobalClusterID, t.Aurora.PrimaryClusterID)
	}
	fmt.Fprintf(&b, "point %s at %s; ", t.DNS.RecordName, t.DNS.Targets[t.PrimaryRegion].DNSName)
	if t.Stacks.Activation == topology.ActivationCommand {
		fmt.Fprintf(&b, "run %q. ", strings.Join(fb.req.decommissionArgv(), " "))
	} else {
		fmt.Fprintf(&b, "set %s back to standby on %d stacks in %s. ", t.Stacks.DRModeParameter, len(t.Stacks.Names), t.DRRegion)
	}
	b.WriteString("Replication stays on.")
	return b.String()
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
	if res.Action == activities.ActionStarted {
		fb.action(fmt.Sprintf("rds %s: %s", res.Call, res.Detail))
	}
	wi := activities.AuroraFailoverInput{Mode: topology.FailoverGlobal, Region: t.PrimaryRegion, GlobalClusterID: t.Aurora.GlobalClusterID, DRClusterID: t.Aurora.PrimaryClusterID}
	var st activities.AuroraWriterState
	w := fb.back.waitCtx(ctx, fmt.Sprintf("Wait until %s in %s is available and the writer", t.Aurora.PrimaryClusterID, t.PrimaryRegion), 30*time.Minute)
	if err := workflow.ExecuteActivity(w, a.WaitAuroraWriter, wi).Get(w, &st); err != nil {
		return err
	}
	fb.detail("database", "%s (%s); %s is %s and the writer after %d polls", res.Detail, res.Action, st.Cluster, st.Status, st.Progress.Polls)
	return nil
}

// ---- 5. decommission ----

func (fb *failback) decommission(ctx workflow.Context) error {
	t := fb.t
	if t.Stacks.Activation == topology.ActivationCommand {
		argv := fb.req.decommissionArgv()
		in := activities.DeployCommandInput{Argv: argv, Dir: t.Stacks.DeployDir,
			Env: map[string]string{"AWS_REGION": t.DRRegion, "AWS_DEFAULT_REGION": t.DRRegion, "STAGE": t.Stage, "DR_MODE": "false"}}
		c := fb.back.waitCtx(ctx, "Scale "+t.DRRegion+" down: "+strings.Join(argv, " "), time.Hour)
		var res activities.DeployCommandResult
		if err := workflow.ExecuteActivity(c, a.RunDeployCommand, in).Get(c, &res); err != nil {
			return err
		}
		fb.action(fmt.Sprintf("decommission command %q in %s: exit %d after %s", strings.Join(argv, " "), t.DRRegion, res.ExitCode, res.Took.Round(time.Second)))
		fb.detail("decommission", "command finished; last output: %s", lastLine(res.Tail))
		return nil
	}
	errs := make([]error, len(t.Stacks.Names))
	started := 0
	wg := workflow.NewWaitGroup(ctx)
	for i, stack := range t.Stacks.Names {
		wg.Add(1)
		workflow.Go(ctx, func(ctx workflow.Context) {
			defer wg.Done()
			value := "false"
			if v, ok := fb.req.RestoreDRMode[stack]; ok {
				value = v
			}
			in := activities.StackParamInput{Region: t.DRRegion, Stack: stack, Parameter: t.Stacks.DRModeParameter, Value: value}
			var res activities.StackParamResult
			c := mutateCtx(ctx, fmt.Sprintf("CloudFormation UpdateStack %s %s=%s", stack, in.Parameter, value))
			if err := workflow.ExecuteActivity(c, a.SetStackParameter, in).Get(c, &res); err != nil {
				errs[i] = err
				return
			}
			if res.Action == activities.ActionStarted {
				started++
				fb.action(fmt.Sprintf("cloudformation UpdateStack %s in %s: %s=%s (previous template)", stack, t.DRRegion, in.Parameter, value))
			}
			w := fb.back.waitCtx(ctx, fmt.Sprintf("Wait until %s is UPDATE_COMPLETE", stack), time.Hour)
			errs[i] = workflow.ExecuteActivity(w, a.WaitStackParameter, in).Get(w, nil)
		})
	}
	wg.Wait(ctx)
	if ctx.Err() != nil {
		return ctx.Err()
	}
	var msgs []string
	for i, e := range errs {
		if e != nil {
			msgs = append(msgs, t.Stacks.Names[i]+": "+errMessage(e))
		}
	}
	if len(msgs) > 0 {
		return errors.New(strings.Join(msgs, "; "))
	}
	fb.detail("decommission", "%d stacks in %s back to standby %s (%d updated by this run); replication untouched", len(t.Stacks.Names), t.DRRegion, t.Stacks.DRModeParameter, started)
	return nil
}

// ---- communicate and report ----

func (fb *failback) communicate(ctx workflow.Context) error {
	t := fb.t
	msg := fmt.Sprintf("%s serves from %s again after the failback from %s (took %s). Aurora: %s. %s in %s is back to standby; replication to %s continues.",
		t.ID(), t.PrimaryRegion, t.DRRegion, fb.rep.RTO.Round(time.Second), fb.rep.AuroraPath, t.Stacks.DRModeParameter, t.DRRegion, t.DRRegion)
	c := describeCtx(ctx, "SNS: failback complete")
	in := activities.PublishInput{Region: t.PrimaryRegion, TopicARN: t.TopicARN(t.PrimaryRegion),
		Subject: fmt.Sprintf("RESOLVED: %s back in %s", t.ID(), t.PrimaryRegion), Message: msg + "\n\nActions:\n- " + strings.Join(fb.back.rep.Actions, "\n- ")}
	if err := workflow.ExecuteActivity(c, a.Publish, in).Get(c, nil); err != nil {
		return err
	}
	fb.detail("communicate", "published to %s", in.TopicARN)
	return nil
}

func (fb *failback) doneSoFar(phase string) string {
	acts := fb.back.rep.Actions
	if len(acts) == 0 {
		return fmt.Sprintf("Failback of %s %s. Nothing was changed in AWS.", fb.t.ID(), phase)
	}
	return fmt.Sprintf("Failback of %s %s. Changes made before it stopped:\n- %s\nSteps that did not finish are listed in the report.",
		fb.t.ID(), phase, strings.Join(acts, "\n- "))
}

func (fb *failback) report(phase string) FailbackReport {
	rep := *fb.rep
	rep.RunSummary = fb.r.summary(phase)
	rep.Actions = append([]string{}, fb.back.rep.Actions...)
	rep.Verify, rep.Monitor = fb.back.rep.Verify, fb.back.rep.Monitor
	if phase != PhaseCompleted && rep.ValidatedAt.IsZero() {
		rep.RTO = 0
	}
	rep.RTOSeconds = rep.RTO.Seconds()
	rep.RTOMet = rep.RTO > 0 && rep.RTO <= rep.RTOObjective
	// A planned switchover (or a writer that never moved) loses nothing; a rebuild is the operator's work
	// and this run cannot vouch for it.
	rep.RPOKnown = rep.AuroraPath == AuroraSwitchover || rep.AuroraPath == AuroraAlreadyPrimary
	rep.RPOMet = rep.RPOKnown && rep.RPO <= rep.RPOObjective
	rep.Checklist = fb.back.checklist()
	if rep.RPOKnown {
		rep.Checklist = append(rep.Checklist, ChecklistItem{Section: "Data Integrity", Item: "No data loss beyond RPO", Status: Pass,
			Evidence: fmt.Sprintf("Aurora %s: RPO 0 against %s", rep.AuroraPath, rep.RPOObjective)})
	}
	return rep
}

// String renders the report for terminals.
func (r FailbackReport) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "Failback %s → %s: %s\n", r.DRRegion, r.PrimaryRegion, strings.ToUpper(r.Outcome))
	took := "not reached"
	if r.RTO > 0 {
		took = fmt.Sprintf("%s (objective %s, %s)", r.RTO.Round(time.Second), r.RTOObjective, metText(r.RTOMet))
	}
	rpo := "unknown (rebuilt by an operator)"
	if r.RPOKnown {
		rpo = fmt.Sprintf("%s (Aurora %s; objective %s, %s)", r.RPO, r.AuroraPath, r.RPOObjective, metText(r.RPOMet))
	}
	fmt.Fprintf(&b, "Back in service after %s\nRPO %s\n\n", took, rpo)
	writeSteps(&b, r.Steps)
	if len(r.Actions) > 0 {
		b.WriteString("\nChanges made in AWS:\n")
		for _, a := range r.Actions {
			fmt.Fprintf(&b, "  - %s\n", a)
		}
	}
	for _, n := range r.Notes {
		if !strings.HasPrefix(n, "AWS: ") {
			fmt.Fprintf(&b, "note: %s\n", n)
		}
	}
	return b.String()
}

// writeSteps prints a timeline table with budgets, flagging steps over theirs.
func writeSteps(b *strings.Builder, steps []StepRecord) {
	tw := tabwriter.NewWriter(b, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "STEP\tOUTCOME\tTOOK\tBUDGET\tDETAIL")
	for _, s := range steps {
		budget := "-"
		if s.Budget > 0 {
			budget = s.Budget.String()
			if s.Duration() > s.Budget {
				budget += " OVER"
			}
		}
		line := s.Detail
		if s.Error != "" {
			line = s.Error
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", s.Title, s.Outcome, s.Duration().Round(time.Millisecond), budget, line)
	}
	_ = tw.Flush()
}

func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

var _ json.Unmarshaler = (*FailbackRequest)(nil)
