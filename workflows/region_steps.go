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

// RegionFailover moves service into the DR region and Failback moves it back into the primary with the
// same steps: point DNS at the region, verify the services there, watch their traffic. The steps take the
// region and what checking it needs, so the two scenarios move and check a region exactly alike.

// Observation is one observed resource.
type Observation struct {
	Resource string `json:"resource"`
	Region   string `json:"region"`
	OK       bool   `json:"ok"`
	Observed string `json:"observed"`
}

// VerifyResult is what verifying a region after the DNS cutover found.
type VerifyResult struct {
	Health    *activities.URLCheckResult  `json:"health,omitempty"`
	Functions *activities.FunctionsResult `json:"functions,omitempty"`
	Scans     []activities.ScanResult     `json:"scans,omitempty"`
	// TableReads replaces Scans when the tables are read in batches (version batchedReads).
	TableReads *TableReads               `json:"tableReads,omitempty"`
	Database   *activities.DBCheckResult `json:"database,omitempty"`
	Problems   []string                  `json:"problems,omitempty"`
}

// MonitorResult is a region's API traffic after the cutover.
type MonitorResult struct {
	Window     time.Duration `json:"window"`
	Requests   float64       `json:"requests"`
	Errors5xx  float64       `json:"errors5xx"`
	ErrorRate  float64       `json:"errorRate"`
	LatencyP95 time.Duration `json:"latencyP95"`
	Pass       bool          `json:"pass"`
	Problems   []string      `json:"problems,omitempty"`
}

// regionTarget is the region service moves into and what checking it there needs.
type regionTarget struct {
	Region    string
	HealthURL string
	// Writer is the Aurora cluster that writes in the region after the move.
	Writer string
	// DSNEnv names the environment variable with the writer's DSN for the SELECT 1 check. Empty leaves the
	// check to the activity's "skipped" answer: a failback has no DSN for the primary's writer.
	DSNEnv string
}

// regionSteps are the DNS, verify and monitor steps into one region, with what they found.
type regionSteps struct {
	r  *run
	t  topology.Topology
	to regionTarget
	// heartbeat overrides the waits' heartbeat timeout; window overrides thresholds.monitorWindow.
	heartbeat, window time.Duration
	// modes: the run has version dnsModes, so the cutover follows dns.mode; without it, the UPSERT alone.
	modes bool
	// dnsWait overrides how long resolution may take to answer the region (defaultDNSWait).
	dnsWait time.Duration

	verified  *VerifyResult
	monitored *MonitorResult
}

// cutoverInput is the topology's failover record aliased to region's endpoint.
func cutoverInput(t topology.Topology, region string) activities.DNSCutoverInput {
	tg := t.DNS.Targets[region]
	return activities.DNSCutoverInput{HostedZoneID: t.DNS.HostedZoneID, RecordName: t.DNS.RecordName, RecordType: t.DNS.RecordType,
		SetIdentifier: t.DNS.SetIdentifier, Region: region,
		Target: activities.RecordTarget{HostedZoneID: tg.HostedZoneID, DNSName: tg.DNSName, EvaluateTargetHealth: tg.EvaluateTargetHealth}}
}

// waitHB is waitCtx with the request's heartbeat timeout, when it sets one: how soon a wait whose worker
// died is resumed by another worker.
func waitHB(ctx workflow.Context, summary string, timeout, heartbeat time.Duration) workflow.Context {
	c := waitCtx(ctx, summary, timeout)
	if heartbeat > 0 {
		o := workflow.GetActivityOptions(c)
		o.HeartbeatTimeout = heartbeat
		c = workflow.WithActivityOptions(c, o)
	}
	return c
}

// upsert points the failover record at the region and waits until Route 53 has it everywhere. With
// explain, a control plane that does not answer fails the step with the ways out instead of the bare error.
func (s *regionSteps) upsert(ctx workflow.Context, explain bool) error {
	t, r := s.t, s.r
	in := cutoverInput(t, s.to.Region)
	target := in.Target.DNSName
	var res activities.DNSCutoverResult
	c := mutateCtx(ctx, fmt.Sprintf("Route 53 UPSERT %s → %s", t.DNS.RecordName, target))
	if explain {
		// Here Route 53's control plane is in the region that is out: its silence is the outage, not a
		// storm to ride out, and the explanation's ways out serve the RTO better than minutes of retries.
		o := workflow.GetActivityOptions(c)
		o.RetryPolicy.MaximumAttempts = controlPlaneAttempts
		c = workflow.WithActivityOptions(c, o)
	}
	if err := workflow.ExecuteActivity(c, a.UpsertFailoverRecord, in).Get(c, &res); err != nil {
		return s.controlPlane(ctx, err, explain)
	}
	if !res.AlreadyInPlace {
		r.action(fmt.Sprintf("route53 UPSERT %s %s → %s (was %s), change %s", t.DNS.RecordName, t.DNS.RecordType, target, orNone(res.Previous), res.ChangeID))
	}
	if res.ChangeID == "" {
		r.detail("dns", "%s already pointed at %s before this run", t.DNS.RecordName, target)
		return nil
	}
	var st activities.ChangeState
	w := waitHB(ctx, "Wait until Route 53 change "+res.ChangeID+" is INSYNC", 15*time.Minute, s.heartbeat)
	if err := workflow.ExecuteActivity(w, a.WaitDNSChange, activities.ChangeRef{ChangeID: res.ChangeID}).Get(w, &st); err != nil {
		return s.controlPlane(ctx, err, explain)
	}
	r.detail("dns", "%s → %s, change %s %s", t.DNS.RecordName, target, st.ChangeID, st.Status)
	return nil
}

// verify reads the region's health URL, Lambda functions, one item of each table and the Aurora writer.
func (s *regionSteps) verify(ctx workflow.Context) error {
	t, region := s.t, s.to.Region
	v := &VerifyResult{}
	s.verified = v
	hc := describeCtx(ctx, "GET "+s.to.HealthURL)
	healthF := workflow.ExecuteActivity(hc, a.CheckHealthURL, activities.URLCheckInput{Region: region, URL: s.to.HealthURL})
	prefix := commonPrefix(t.FunctionNames())
	fc := describeCtx(ctx, fmt.Sprintf("Lambda ListFunctions %s* in %s", prefix, region))
	fnF := workflow.ExecuteActivity(fc, a.ListFunctionsByPrefix, activities.FunctionsInput{Region: region, Prefix: prefix, Expect: t.FunctionNames()})
	batched := readsBatched(ctx, t)
	var tablesDone func(workflow.Context) *TableReads
	if batched {
		tablesDone = startTableChecks(ctx, "DynamoDB Scan --limit 1 in "+region, t.TableNames(), []activities.TableCheck{{Kind: activities.CheckScan, Region: region}})
	}
	scanF := make([]workflow.Future, 0, len(t.Tables))
	for _, tb := range t.Tables {
		if batched {
			break
		}
		sc := describeCtx(ctx, fmt.Sprintf("DynamoDB Scan --limit 1 %s in %s", tb.Name, region))
		scanF = append(scanF, workflow.ExecuteActivity(sc, a.ScanOne, activities.TableRef{Region: region, Table: tb.Name}))
	}
	// The summary says "DR writer" in both directions: recorded histories carry it.
	dc := describeCtx(ctx, "SELECT 1 on the DR writer "+s.to.Writer)
	dbF := workflow.ExecuteActivity(dc, a.CheckDatabaseWriter, activities.DBCheckInput{Region: region, ClusterID: s.to.Writer, DSNEnv: s.to.DSNEnv})

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
		var sr activities.ScanResult
		if err := fut.Get(ctx, &sr); err != nil {
			v.Problems = append(v.Problems, errMessage(err))
		} else {
			v.Scans = append(v.Scans, sr)
		}
	}
	if batched {
		v.TableReads = tablesDone(ctx)
		if p := verifyTableProblem(region, v.TableReads); p != "" {
			v.Problems = append(v.Problems, p)
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
	s.r.detail("verify", "%s", verifyDetail(v, health.Status, len(fns.Found), len(t.Tables), db))
	if len(v.Problems) > 0 {
		return errors.New(strings.Join(v.Problems, "; "))
	}
	return nil
}

// monitor lets traffic reach the region for the window, then reads the window's API Gateway metrics
// there: requests arrive, p95 latency under the threshold and the 5XX rate under its threshold.
func (s *regionSteps) monitor(ctx workflow.Context) error {
	t, region := s.t, s.to.Region
	window := s.window
	if window == 0 {
		window = t.Thresholds.MonitorWindow.D()
	}
	if err := s.r.sleepNamed(ctx, window, fmt.Sprintf("monitor window %s in %s", window, region)); err != nil {
		return err
	}
	// CloudWatch keeps one-minute datapoints: a shorter window (drills, tests) reads the last minute.
	q := func(metric, stat string) activities.MetricQuery {
		return activities.MetricQuery{Region: region, Namespace: "AWS/ApiGateway", Metric: metric, Stat: stat,
			Dimensions: []activities.Dimension{{Name: "ApiName", Value: t.API.Name}}, Period: time.Minute, Window: max(window, time.Minute)}
	}
	get := func(mq activities.MetricQuery) workflow.Future {
		c := describeCtx(ctx, fmt.Sprintf("CloudWatch %s %s in %s", mq.Metric, mq.Stat, region))
		return workflow.ExecuteActivity(c, a.GetMetric, mq)
	}
	countF, errF, latF := get(q("Count", "Sum")), get(q("5XXError", "Sum")), get(q("Latency", "p95"))
	var count, e5, lat activities.MetricResult
	if err := errors.Join(countF.Get(ctx, &count), errF.Get(ctx, &e5), latF.Get(ctx, &lat)); err != nil {
		return err
	}
	m := judgeTraffic(window, count, e5, lat, region, t.Thresholds)
	s.monitored = m
	s.r.detail("monitor", "%.0f requests, 5XX %.2f%%, p95 %s over %s", m.Requests, m.ErrorRate*100, m.LatencyP95.Round(time.Millisecond), window)
	if !m.Pass {
		return errors.New(strings.Join(m.Problems, "; "))
	}
	return nil
}

// awaitWriter records the Aurora call that moves the writer (res answered it) and waits until in.DRClusterID,
// the cluster taking over, is available and the writer in in.Region.
func (r *run) awaitWriter(ctx workflow.Context, res activities.AuroraFailoverResult, in activities.AuroraFailoverInput, heartbeat time.Duration) error {
	if res.Action == activities.ActionStarted {
		r.action(fmt.Sprintf("rds %s: %s", res.Call, res.Detail))
	}
	var st activities.AuroraWriterState
	w := waitHB(ctx, fmt.Sprintf("Wait until %s in %s is available and the writer", in.DRClusterID, in.Region), 30*time.Minute, heartbeat)
	if err := workflow.ExecuteActivity(w, a.WaitAuroraWriter, in).Get(w, &st); err != nil {
		return err
	}
	r.detail("database", "%s (%s); %s is %s and the writer after %d polls", res.Detail, res.Action, st.Cluster, st.Status, st.Progress.Polls)
	return nil
}

// setStacks sets the DR-mode parameter of every DR stack at once (value(stack) each) and waits until each
// update completes. It returns how many updates this run started and each stack's error, in stack order;
// each caller decides what a cancellation among them means.
func (r *run) setStacks(ctx workflow.Context, t topology.Topology, value func(stack string) string, heartbeat time.Duration) (int, []error) {
	errs := make([]error, len(t.Stacks.Names))
	started := 0
	wg := workflow.NewWaitGroup(ctx)
	for i, stack := range t.Stacks.Names {
		wg.Add(1)
		workflow.Go(ctx, func(ctx workflow.Context) {
			defer wg.Done()
			in := activities.StackParamInput{Region: t.DRRegion, Stack: stack, Parameter: t.Stacks.DRModeParameter, Value: value(stack)}
			var res activities.StackParamResult
			c := mutateCtx(ctx, fmt.Sprintf("CloudFormation UpdateStack %s %s=%s", stack, in.Parameter, in.Value))
			if err := workflow.ExecuteActivity(c, a.SetStackParameter, in).Get(c, &res); err != nil {
				errs[i] = err
				return
			}
			if res.Action == activities.ActionStarted {
				started++
				r.action(fmt.Sprintf("cloudformation UpdateStack %s in %s: %s=%s (previous template)", stack, t.DRRegion, in.Parameter, in.Value))
			}
			w := waitHB(ctx, fmt.Sprintf("Wait until %s is UPDATE_COMPLETE", stack), time.Hour, heartbeat)
			errs[i] = workflow.ExecuteActivity(w, a.WaitStackParameter, in).Get(w, nil)
		})
	}
	wg.Wait(ctx)
	return started, errs
}

// runDeploy runs the deploy command against the DR region with DR_MODE set, in the command activation
// mode: under the worker's policy the command the topology names (stacks.deploy), which the worker
// resolves; in runs from before the policy, the argv the request carried.
func (r *run) runDeploy(ctx workflow.Context, argv []string, drMode, summary string, heartbeat time.Duration) (activities.DeployCommandResult, error) {
	t := r.common.Topology
	in := activities.DeployCommandInput{Argv: argv, Dir: t.Stacks.DeployDir,
		Env: map[string]string{"AWS_REGION": t.DRRegion, "AWS_DEFAULT_REGION": t.DRRegion, "STAGE": t.Stage, "DR_MODE": drMode}}
	if r.policy != nil {
		in = activities.DeployCommandInput{Platform: t.Platform, Stage: t.Stage, Name: t.Stacks.Deploy, Env: in.Env}
	}
	c := waitHB(ctx, summary, time.Hour, heartbeat)
	var res activities.DeployCommandResult
	err := workflow.ExecuteActivity(c, a.RunDeployCommand, in).Get(c, &res)
	return res, err
}

// deployStep runs the deploy command with DR_MODE=drMode as a step's work and records it: the action for
// the report (kind names it: deploy, decommission) and the output's last line on the step's row.
func (r *run) deployStep(ctx workflow.Context, step, kind string, argv []string, drMode, summary string, heartbeat time.Duration) error {
	cmd := r.deployLabel(argv, drMode)
	res, err := r.runDeploy(ctx, argv, drMode, summary+cmd, heartbeat)
	if err != nil {
		return err
	}
	r.action(fmt.Sprintf("%s command %q in %s: exit %d after %s", kind, cmd, r.common.Topology.DRRegion, res.ExitCode, res.Took.Round(time.Second)))
	r.detail(step, "%s command finished; last output: %s", kind, lastLine(res.Tail))
	return nil
}

// deployLabel names the deploy command in summaries and actions.
func (r *run) deployLabel(argv []string, drMode string) string {
	if r.policy != nil {
		return fmt.Sprintf("%s with DR_MODE=%s", r.common.Topology.Stacks.Deploy, drMode)
	}
	return strings.Join(argv, " ")
}
