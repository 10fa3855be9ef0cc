package workflows

import (
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/roadcall/dr/activities"
	"github.com/roadcall/dr/internal/topology"
)

// Gates of DataCorruptionRecovery.

var corruptionScenario = scenario{Workflow: WorkflowCorruption, Key: ScenarioCorruption, Gates: []string{GateRestorePoint, GateCutover, GateResumeWrites}}

// ReadOnlyVar is the environment variable the application reads to refuse writes.
const ReadOnlyVar = "READ_ONLY_MODE"

// CorruptionRequest starts DataCorruptionRecovery.
type CorruptionRequest struct {
	Common
	// CorruptionStartedAt is when the bad writes began; the proposed restore point is this minus
	// corruption.restoreMargin.
	CorruptionStartedAt *time.Time `json:"corruptionStartedAt"`
	// Tables to restore, a subset of the topology's tables; empty means all of them.
	Tables []string `json:"tables,omitempty"`
	// SkipAurora leaves the Aurora cluster alone when only DynamoDB data is corrupted.
	SkipAurora bool `json:"skipAurora,omitempty"`
	// Region where the application serves and the data is restored; default primaryRegion (after a
	// failover the platform serves from drRegion).
	Region string `json:"region,omitempty"`
}

func (r *CorruptionRequest) UnmarshalJSON(b []byte) error {
	type plain CorruptionRequest
	return decodeStrict(b, (*plain)(r), &r.decodeProblem)
}

// PrepareAt fills defaults and validates the request as of now; the workflow and the starter both run it
// before anything touches AWS.
func (r *CorruptionRequest) PrepareAt(now time.Time) error {
	if err := r.Prepare(); err != nil {
		return err
	}
	t := r.Topology
	var es topology.Errors
	add := func(field, problem, fix string) {
		es = append(es, topology.FieldError{Field: field, Problem: problem, Fix: fix})
	}
	switch {
	case r.CorruptionStartedAt == nil || r.CorruptionStartedAt.IsZero():
		add("corruptionStartedAt", "is missing", "give the time the bad writes began, RFC 3339, e.g. \"2025-06-01T14:30:00Z\"")
	case r.CorruptionStartedAt.After(now):
		add("corruptionStartedAt", fmt.Sprintf("%s is in the future (now %s)", r.CorruptionStartedAt.UTC().Format(time.RFC3339), now.UTC().Format(time.RFC3339)),
			"give the time the bad writes began, which has passed")
	}
	if len(r.Tables) == 0 {
		r.Tables = t.TableNames()
	}
	seen := map[string]bool{}
	for i, name := range r.Tables {
		switch {
		case !t.HasTable(name):
			add(fmt.Sprintf("tables[%d]", i), fmt.Sprintf("%q is not a table of the topology", name), "use one of "+strings.Join(t.TableNames(), ", "))
		case seen[name]:
			add(fmt.Sprintf("tables[%d]", i), fmt.Sprintf("%q is listed twice", name), "list each table once")
		}
		seen[name] = true
	}
	if r.Region == "" {
		r.Region = t.PrimaryRegion
	}
	if r.Region != t.PrimaryRegion && r.Region != t.DRRegion {
		add("region", fmt.Sprintf("%q is neither primaryRegion (%s) nor drRegion (%s)", r.Region, t.PrimaryRegion, t.DRRegion), "name the region the application serves from")
	}
	// RDS identifiers are at most 63 characters; the writer's is the longest name this run makes.
	if n := len(r.SourceCluster()) + len("-restored-200601021504-writer"); !r.SkipAurora && n > 63 {
		add("topology.aurora", fmt.Sprintf("cluster %q makes a restored writer id of %d characters, over RDS's 63", r.SourceCluster(), n),
			"restore Aurora by hand (skipAurora) or shorten the cluster id")
	}
	if t.Corruption.WriteStop == topology.WriteStopAPIThrottle && t.API.RestAPIIDs[r.Region] == "" {
		add("topology.api.restApiIds."+r.Region, "is missing while corruption.writeStop is api-throttle", "give the REST API id in this region")
	}
	es = append(es, r.initiatorProblems()...)
	if len(es) > 0 {
		return es
	}
	return nil
}

// SourceCluster is the Aurora cluster that serves writes in the request's region.
func (r *CorruptionRequest) SourceCluster() string {
	if r.Region == r.Topology.DRRegion {
		return r.Topology.Aurora.DRClusterID
	}
	return r.Topology.Aurora.PrimaryClusterID
}

// WriteStop records how writes were stopped on one function or stage and what to put back.
type WriteStop struct {
	Resource string `json:"resource"`
	// Recorded is set once the previous value was read, before anything was changed.
	Recorded bool `json:"recorded"`
	// PriorValue is READ_ONLY_MODE before the stop (nil: not set), for lambda-flag.
	PriorValue *string `json:"priorValue,omitempty"`
	// PriorThrottle is the stage's all-methods throttling before the stop, for api-throttle.
	PriorThrottle *activities.StageThrottle `json:"priorThrottle,omitempty"`
	Changed       bool                      `json:"changed"`
	Resumed       bool                      `json:"resumed"`
}

// Previous describes the value the stop replaced.
func (w WriteStop) Previous() string {
	switch {
	case w.PriorThrottle != nil:
		return w.PriorThrottle.String()
	case w.PriorValue != nil:
		return ReadOnlyVar + "=" + *w.PriorValue
	}
	return ReadOnlyVar + " not set"
}

// RestoreWindow is one resource's restorable window as assessed.
type RestoreWindow struct {
	Resource string    `json:"resource"`
	Kind     string    `json:"kind"`
	Enabled  bool      `json:"enabled"`
	Earliest time.Time `json:"earliest,omitzero"`
	Latest   time.Time `json:"latest,omitzero"`
}

// RestoredResource is a table or cluster made by the restore; it is kept whatever the outcome.
type RestoredResource struct {
	Kind   string `json:"kind"` // dynamodb-table or aurora-cluster
	Source string `json:"source"`
	Target string `json:"target"`
	// Requested is set once the restore was started (or found started).
	Requested bool   `json:"requested"`
	Created   bool   `json:"created"`
	Status    string `json:"status,omitempty"`
	PITR      bool   `json:"pitr,omitempty"`
	Writer    string `json:"writer,omitempty"`
	Endpoint  string `json:"endpoint,omitempty"`
	// SourceEndpoint is the source cluster's endpoint, replaced by Endpoint at cutover.
	SourceEndpoint string `json:"sourceEndpoint,omitempty"`
}

// ProbeRow compares one integrity key in the source and the restored table.
type ProbeRow struct {
	Key        string `json:"key"`
	InSource   bool   `json:"inSource"`
	InRestored bool   `json:"inRestored"`
	Same       bool   `json:"same"`
}

// TableValidation compares a restored table with its source.
type TableValidation struct {
	Table         string     `json:"table"`
	Restored      string     `json:"restored"`
	SourceCount   int64      `json:"sourceCount"`
	RestoredCount int64      `json:"restoredCount"`
	Complete      bool       `json:"complete"`
	Probes        []ProbeRow `json:"probes,omitempty"`
}

// CorruptionReport is the DataCorruptionRecovery result.
type CorruptionReport struct {
	RunSummary
	Region        string `json:"region"`
	WriteStopMode string `json:"writeStopMode"`
	CutoverMode   string `json:"cutoverMode"`
	// WritesStopped is true when the run ends with writes still stopped.
	WritesStopped       bool               `json:"writesStopped"`
	WriteStops          []WriteStop        `json:"writeStops"`
	CorruptionStartedAt time.Time          `json:"corruptionStartedAt"`
	ProposedRestoreTime time.Time          `json:"proposedRestoreTime"`
	RestoreTime         time.Time          `json:"restoreTime,omitzero"`
	Windows             []RestoreWindow    `json:"windows,omitempty"`
	WindowEarliest      time.Time          `json:"windowEarliest,omitzero"`
	WindowLatest        time.Time          `json:"windowLatest,omitzero"`
	AssessedAt          time.Time          `json:"assessedAt,omitzero"`
	RecoveryPoints      int                `json:"recoveryPoints"`
	NewestRecoveryPoint time.Time          `json:"newestRecoveryPoint,omitzero"`
	Restored            []RestoredResource `json:"restored"`
	Validation          []TableValidation  `json:"validation,omitempty"`
	Differences         []string           `json:"differences,omitempty"`
	// CutoverPlan lists what the cutover changes (or would have changed), as shown at the cutover gate.
	CutoverPlan []string `json:"cutoverPlan,omitempty"`
	CutoverDone bool     `json:"cutoverDone"`
	// Kept lists the restored resources left in place, named for the operator who cleans up.
	Kept    []string `json:"kept,omitempty"`
	Message string   `json:"message"`
}

// DataCorruptionRecovery is the runbook's Scenario 3: stop writes at once, assess the restorable windows,
// agree a restore point, restore tables and the Aurora cluster to it in parallel, validate, cut the
// application over and resume writes. A run that stops early leaves writes stopped unless an operator
// approves resume-writes.
func DataCorruptionRecovery(ctx workflow.Context, req CorruptionRequest) (CorruptionReport, error) {
	if err := req.PrepareAt(workflow.Now(ctx)); err != nil {
		return CorruptionReport{}, invalid(err)
	}
	t := req.Topology
	r, err := start(ctx, corruptionScenario, &req.Common)
	if err != nil {
		return CorruptionReport{}, err
	}
	c := &corruption{r: r, req: &req, t: t, rep: CorruptionReport{Region: req.Region, WriteStopMode: t.Corruption.WriteStop,
		CutoverMode: t.Corruption.Cutover, CorruptionStartedAt: req.CorruptionStartedAt.UTC()}}
	c.rep.ProposedRestoreTime = c.rep.CorruptionStartedAt.Add(-t.Corruption.RestoreMargin.D()).Truncate(time.Second)
	for _, tb := range req.Tables {
		c.rep.Restored = append(c.rep.Restored, RestoredResource{Kind: "dynamodb-table", Source: tb})
	}
	if !req.SkipAurora {
		c.rep.Restored = append(c.rep.Restored, RestoredResource{Kind: "aurora-cluster", Source: req.SourceCluster()})
	}
	err = c.recover()
	return c.end(ctx, err)
}

type corruption struct {
	r   *run
	req *CorruptionRequest
	t   topology.Topology
	rep CorruptionReport
	// resumedAt is when writes resumed after a completed cutover: the end of the outage for RTO.
	resumedAt time.Time
}

func (c *corruption) recover() error {
	r, t := c.r, c.t
	stopTitle := fmt.Sprintf("Stop writes: %s=true merged into every function's environment", ReadOnlyVar)
	if t.Corruption.WriteStop == topology.WriteStopAPIThrottle {
		stopTitle = "Stop writes: throttle the API stage to 0 for all methods"
	}
	if err := r.step("stop-writes", stopTitle, stepOpts{Critical: true, Budget: 5 * time.Minute}, c.stopWrites); err != nil {
		return err
	}
	r.notify(fmt.Sprintf("Writes stopped on %s: data corruption recovery under way", t.ID()),
		fmt.Sprintf("Corruption reported from %s. Writes are stopped (%s) until the restored data is cut over.", c.rep.CorruptionStartedAt.Format(time.RFC3339), t.Corruption.WriteStop))
	if err := r.step("assess", "Assess damage: PITR windows, Aurora restorable window, recent recovery points", stepOpts{Critical: true, Budget: 15 * time.Minute}, c.assess); err != nil {
		return err
	}
	ap, err := r.gate(GateRestorePoint, gateOpts{Summary: c.restorePointSummary(), Check: func(ap Approval) error {
		at, err := chosenTime(ap, c.rep.ProposedRestoreTime)
		if err != nil {
			return err
		}
		return c.inWindow(at, workflow.Now(r.ctx))
	}, Options: []string{"approve: restore to the proposed time", "approve with value=<RFC 3339 time>: restore to another time", "reject: stop here, writes stay stopped"}})
	if err != nil {
		return err
	}
	at, err := chosenTime(ap, c.rep.ProposedRestoreTime)
	if err == nil {
		err = c.inWindow(at, workflow.Now(r.ctx))
	}
	if err != nil {
		// Only an automatic approval gets here: a person's approval was refused by the gate's check.
		r.note("restore point refused after an automatic approval: " + err.Error())
		return errAborted
	}
	c.rep.RestoreTime = at
	if at.After(c.rep.CorruptionStartedAt) {
		r.note(fmt.Sprintf("the chosen restore time %s is after the reported corruption start %s: the restore may contain corrupted data",
			at.Format(time.RFC3339), c.rep.CorruptionStartedAt.Format(time.RFC3339)))
	}
	if err := c.restore(); err != nil {
		return err
	}
	if err := r.step("validate", "Validate restored data: item counts against the source and integrity keys", stepOpts{Budget: 15 * time.Minute}, c.validate); err != nil {
		return err
	}
	if err := r.step("plan-cutover", "Find where the application names the corrupted resources", stepOpts{Critical: true}, c.planCutover); err != nil {
		return err
	}
	if _, err := r.gate(GateCutover, gateOpts{Summary: c.cutoverSummary(),
		Options: []string{"approve: point the application at the restored resources and resume writes", "reject: keep writes stopped and the restored resources for inspection"}}); err != nil {
		return err
	}
	if err := r.step("cutover", "Cutover to restored resources", stepOpts{Critical: true}, c.cutover); err != nil {
		return err
	}
	c.rep.CutoverDone = true
	other := t.DRRegion
	if c.req.Region == t.DRRegion {
		other = t.PrimaryRegion
	}
	what := "the restored tables are single-region tables"
	if !c.req.SkipAurora {
		what += " and the restored cluster is outside global cluster " + t.Aurora.GlobalClusterID
	}
	r.note(fmt.Sprintf("%s: re-establish replication to %s to get DR protection back", what, other))
	if err := r.step("resume-writes", "Resume writes: restore exactly the previous settings", stepOpts{Critical: true}, c.resumeWrites); err != nil {
		return err
	}
	c.resumedAt = workflow.Now(r.ctx)
	return nil
}

// chosenTime is the approval's value when it carries one, else the proposed time.
func chosenTime(ap Approval, proposed time.Time) (time.Time, error) {
	if strings.TrimSpace(ap.Value) == "" {
		return proposed, nil
	}
	at, err := time.Parse(time.RFC3339, strings.TrimSpace(ap.Value))
	if err != nil {
		return time.Time{}, fmt.Errorf("value: %q is not an RFC 3339 time such as 2025-06-01T14:25:00Z", ap.Value)
	}
	return at.UTC().Truncate(time.Second), nil
}

// window is the span every resource can be restored to as of now: each resource's latest restorable time
// trails the present by a fixed lag, so it has moved on by the time passed since the assessment.
func (c *corruption) window(now time.Time) (time.Time, time.Time) {
	shift := max(now.Sub(c.rep.AssessedAt), 0)
	return c.rep.WindowEarliest, c.rep.WindowLatest.Add(shift)
}

func (c *corruption) inWindow(at, now time.Time) error {
	e, l := c.window(now)
	if at.Before(e) || at.After(l) {
		var each []string
		for _, w := range c.rep.Windows {
			each = append(each, fmt.Sprintf("%s %s to %s", w.Resource, w.Earliest.Format(time.RFC3339), w.Latest.Format(time.RFC3339)))
		}
		return fmt.Errorf("value: restore time %s is outside the window every resource can be restored to, %s to %s (%s)",
			at.Format(time.RFC3339), e.Format(time.RFC3339), l.Format(time.RFC3339), strings.Join(each, "; "))
	}
	return nil
}

func (c *corruption) restorePointSummary() string {
	e, l := c.window(c.rep.AssessedAt)
	s := fmt.Sprintf("Restore %d resource(s) to %s: the corruption started at %s, minus the margin of %s. Every resource can be restored to any time from %s to %s (the end moves with the clock).",
		len(c.rep.Restored), c.rep.ProposedRestoreTime.Format(time.RFC3339), c.rep.CorruptionStartedAt.Format(time.RFC3339), c.t.Corruption.RestoreMargin,
		e.Format(time.RFC3339), l.Format(time.RFC3339))
	if c.inWindow(c.rep.ProposedRestoreTime, c.rep.AssessedAt) != nil {
		s += " The proposed time is OUTSIDE that window: approve with value set to a time inside it."
	}
	s += " Approve as proposed, or approve with value=<RFC 3339 time> to choose another time. Writes stay stopped meanwhile."
	if c.rep.RecoveryPoints > 0 {
		s += fmt.Sprintf(" The vault also holds %d recent recovery point(s), the newest from %s.", c.rep.RecoveryPoints, c.rep.NewestRecoveryPoint.Format(time.RFC3339))
	}
	return s
}

func (c *corruption) stopWrites(ctx workflow.Context) error {
	t, region := c.t, c.req.Region
	if t.Corruption.WriteStop == topology.WriteStopAPIThrottle {
		if len(c.rep.WriteStops) == 0 {
			c.rep.WriteStops = []WriteStop{{Resource: t.API.RestAPIIDs[region] + "/" + t.API.Stage}}
		}
		ws := &c.rep.WriteStops[0]
		ref := activities.APIStageRef{Region: region, RestAPIID: t.API.RestAPIIDs[region], Stage: t.API.Stage}
		if !ws.Recorded {
			var prior activities.StageThrottle
			if err := runAct(ctx, describeCtx(ctx, "API Gateway GetStage "+ws.Resource), a.GetStageThrottling, ref, &prior); err != nil {
				return err
			}
			ws.PriorThrottle, ws.Recorded = &prior, true
		}
		var res activities.StageThrottleResult
		err := runAct(ctx, mutateCtx(ctx, "API Gateway UpdateStage throttling 0 "+ws.Resource), a.SetStageThrottling,
			activities.StageThrottleChange{APIStageRef: ref, Target: activities.StageThrottle{Set: true}}, &res)
		ws.Changed = ws.Changed || res.Changed
		return err
	}
	if len(c.rep.WriteStops) == 0 {
		for _, fn := range t.FunctionNames() {
			c.rep.WriteStops = append(c.rep.WriteStops, WriteStop{Resource: fn})
		}
	}
	var branches []func(ctx workflow.Context) error
	for i := range c.rep.WriteStops {
		branches = append(branches, func(ctx workflow.Context) error {
			ws := &c.rep.WriteStops[i]
			// The previous value is read once, before the first change: a retried step must not mistake
			// its own READ_ONLY_MODE=true for the state to go back to.
			if !ws.Recorded {
				var env activities.FunctionEnv
				q := activities.FunctionEnvQuery{Region: region, Function: ws.Resource, Keys: []string{ReadOnlyVar}}
				if err := runAct(ctx, describeCtx(ctx, "Lambda GetFunctionConfiguration "+ws.Resource), a.GetFunctionEnvironment, q, &env); err != nil {
					return err
				}
				ws.PriorValue, ws.Recorded = env.Keys[ReadOnlyVar], true
			}
			return c.updateEnv(ctx, activities.EnvChange{Region: region, Function: ws.Resource, Set: map[string]string{ReadOnlyVar: "true"}}, &ws.Changed)
		})
	}
	return c.r.parallel(branches...)
}

// updateEnv merges a change into one function's environment and waits for Lambda to apply it.
func (c *corruption) updateEnv(ctx workflow.Context, ch activities.EnvChange, changed *bool) error {
	var res activities.EnvChangeResult
	if err := runAct(ctx, mutateCtx(ctx, "Lambda UpdateFunctionConfiguration "+ch.Function), a.UpdateFunctionEnvironment, ch, &res); err != nil {
		return err
	}
	*changed = *changed || res.Changed
	var up activities.FunctionUpdate
	return runAct(ctx, waitCtx(ctx, "Lambda wait LastUpdateStatus=Successful "+ch.Function, 15*time.Minute), a.WaitFunctionUpdated,
		activities.FunctionEnvRef{Region: ch.Region, Function: ch.Function}, &up)
}

// runAct runs one activity and decodes its result.
func runAct(ctx workflow.Context, actx workflow.Context, fn, in, out any) error {
	return workflow.ExecuteActivity(actx, fn, in).Get(ctx, out)
}

func (c *corruption) assess(ctx workflow.Context) error {
	region := c.req.Region
	wins := make([]RestoreWindow, len(c.rep.Restored))
	var branches []func(ctx workflow.Context) error
	for i, res := range c.rep.Restored {
		branches = append(branches, func(ctx workflow.Context) error {
			if res.Kind == "aurora-cluster" {
				var cw activities.ClusterWindow
				if err := runAct(ctx, describeCtx(ctx, "RDS DescribeDBClusters "+res.Source), a.DescribeClusterWindow, activities.ClusterRef{Region: region, Cluster: res.Source}, &cw); err != nil {
					return err
				}
				wins[i] = RestoreWindow{Resource: res.Source, Kind: res.Kind, Enabled: !cw.Latest.IsZero(), Earliest: cw.Earliest.UTC(), Latest: cw.Latest.UTC()}
				c.rep.Restored[i].SourceEndpoint = cw.Endpoint
				return nil
			}
			var p activities.PITRInfo
			if err := runAct(ctx, describeCtx(ctx, "DynamoDB DescribeContinuousBackups "+res.Source), a.DescribeContinuousBackups, activities.TableRef{Region: region, Table: res.Source}, &p); err != nil {
				return err
			}
			wins[i] = RestoreWindow{Resource: res.Source, Kind: res.Kind, Enabled: p.Enabled, Earliest: p.Earliest.UTC(), Latest: p.Latest.UTC()}
			return nil
		})
	}
	branches = append(branches, func(ctx workflow.Context) error {
		var rp activities.RecoveryPoints
		q := activities.RecoveryPointQuery{Region: region, Vault: c.t.BackupVault, Since: c.rep.CorruptionStartedAt.Add(-c.t.Thresholds.BackupMaxAge.D())}
		if err := runAct(ctx, describeCtx(ctx, "Backup ListRecoveryPointsByBackupVault "+c.t.BackupVault), a.ListRecoveryPoints, q, &rp); err != nil {
			// Recovery points are a fallback the operator may want; PITR does the restore, so this is a note.
			c.r.note("recent recovery points unreadable: " + errMessage(err))
			return nil
		}
		c.rep.RecoveryPoints, c.rep.NewestRecoveryPoint = 0, time.Time{}
		for _, p := range rp.Points {
			if p.Status == "COMPLETED" {
				c.rep.RecoveryPoints++
				if p.Created.After(c.rep.NewestRecoveryPoint) {
					c.rep.NewestRecoveryPoint = p.Created.UTC()
				}
			}
		}
		return nil
	})
	if err := c.r.parallel(branches...); err != nil {
		return err
	}
	c.rep.Windows, c.rep.AssessedAt = wins, workflow.Now(ctx)
	var off []string
	first := true
	for _, w := range wins {
		if !w.Enabled {
			off = append(off, w.Resource)
			continue
		}
		if first || w.Earliest.After(c.rep.WindowEarliest) {
			c.rep.WindowEarliest = w.Earliest
		}
		if first || w.Latest.Before(c.rep.WindowLatest) {
			c.rep.WindowLatest = w.Latest
		}
		first = false
	}
	if len(off) > 0 {
		return temporal.NewNonRetryableApplicationError(fmt.Sprintf("point-in-time recovery is off for %s in %s: no point-in-time restore is possible; "+
			"leave them out of the request's tables (restore them from the vault's recovery points by hand) and start again", strings.Join(off, ", "), region), "PointInTimeRecoveryUnavailableException", nil)
	}
	if c.rep.WindowEarliest.After(c.rep.WindowLatest) {
		return temporal.NewNonRetryableApplicationError(fmt.Sprintf("the restorable windows do not overlap: the latest common start %s is after the earliest end %s",
			c.rep.WindowEarliest.Format(time.RFC3339), c.rep.WindowLatest.Format(time.RFC3339)), "InvalidRestoreTimeException", nil)
	}
	return nil
}

// restore runs every resource's restore as its own step, at most corruption.maxParallelRestores at once.
func (c *corruption) restore() error {
	stamp := c.rep.RestoreTime.UTC().Format("200601021504")
	sem := workflow.NewBufferedChannel(c.r.ctx, c.t.Corruption.MaxParallelRestores)
	var branches []func(ctx workflow.Context) error
	for i := range c.rep.Restored {
		res := &c.rep.Restored[i]
		res.Target = res.Source + "-restored-" + stamp
		branches = append(branches, func(ctx workflow.Context) error {
			sem.Send(ctx, true)
			defer sem.Receive(ctx, nil)
			title := fmt.Sprintf("Restore %s to %s as %s", res.Source, c.rep.RestoreTime.Format(time.RFC3339), res.Target)
			run := c.restoreTable
			if res.Kind == "aurora-cluster" {
				run = c.restoreCluster
			}
			return c.r.stepIn(ctx, "restore:"+res.Source, title, stepOpts{Critical: true, Budget: 30 * time.Minute}, func(ctx workflow.Context) error { return run(ctx, res) })
		})
	}
	return c.r.parallel(branches...)
}

func (c *corruption) restoreTable(ctx workflow.Context, res *RestoredResource) error {
	region := c.req.Region
	var st activities.TableRestoreResult
	in := activities.TableRestoreInput{Region: region, Source: res.Source, Target: res.Target, At: c.rep.RestoreTime}
	if err := runAct(ctx, mutateCtx(ctx, "DynamoDB RestoreTableToPointInTime "+res.Target), a.RestoreTable, in, &st); err != nil {
		return err
	}
	res.Requested, res.Created, res.Status = true, res.Created || st.Created, st.Status
	ref := activities.TableRef{Region: region, Table: res.Target}
	var ts activities.TableState
	if err := runAct(ctx, waitCtx(ctx, "DynamoDB wait ACTIVE "+res.Target, 6*time.Hour), a.WaitTableActive, ref, &ts); err != nil {
		return err
	}
	res.Status = ts.Status
	var pc activities.PITRChange
	if err := runAct(ctx, mutateCtx(ctx, "DynamoDB UpdateContinuousBackups PITR on "+res.Target), a.EnableTablePITR, ref, &pc); err != nil {
		return err
	}
	res.PITR = true
	return nil
}

func (c *corruption) restoreCluster(ctx workflow.Context, res *RestoredResource) error {
	region := c.req.Region
	var st activities.ClusterRestoreResult
	in := activities.ClusterRestoreInput{Region: region, Source: res.Source, Target: res.Target, At: c.rep.RestoreTime}
	if err := runAct(ctx, mutateCtx(ctx, "RDS RestoreDBClusterToPointInTime "+res.Target), a.RestoreCluster, in, &st); err != nil {
		return err
	}
	res.Requested, res.Created, res.Status = true, res.Created || st.Created, st.Status
	var cs activities.ClusterState
	if err := runAct(ctx, waitCtx(ctx, "RDS wait available "+res.Target, 4*time.Hour), a.WaitClusterAvailable, activities.ClusterRef{Region: region, Cluster: res.Target}, &cs); err != nil {
		return err
	}
	res.Status, res.Endpoint = cs.Status, cs.Endpoint
	w := activities.ClusterWriterInput{Region: region, Cluster: res.Target, Instance: res.Target + "-writer", Class: c.t.Aurora.InstanceClass}
	var wr activities.ClusterWriterResult
	if err := runAct(ctx, mutateCtx(ctx, "RDS CreateDBInstance "+w.Instance), a.CreateClusterWriter, w, &wr); err != nil {
		return err
	}
	if err := runAct(ctx, waitCtx(ctx, "RDS wait writer available "+w.Instance, 2*time.Hour), a.WaitClusterWriter, w, &cs); err != nil {
		return err
	}
	res.Status, res.Writer, res.Endpoint = cs.Status, cs.Writer, cs.Endpoint
	return nil
}

func (c *corruption) validate(ctx workflow.Context) error {
	region := c.req.Region
	var tables []RestoredResource
	for _, res := range c.rep.Restored {
		if res.Kind == "dynamodb-table" {
			tables = append(tables, res)
		}
	}
	vals := make([]TableValidation, len(tables))
	var branches []func(ctx workflow.Context) error
	for i, res := range tables {
		var keys []map[string]string
		for _, tb := range c.t.Tables {
			if tb.Name == res.Source {
				keys = tb.IntegrityKeys
			}
		}
		branches = append(branches, func(ctx workflow.Context) error {
			v := TableValidation{Table: res.Source, Restored: res.Target}
			var src, dst activities.ItemCount
			limit := int64(c.t.Corruption.ScanLimit)
			if err := runAct(ctx, waitCtx(ctx, "DynamoDB Scan COUNT "+res.Source, 30*time.Minute), a.CountItems, activities.ItemCountInput{Region: region, Table: res.Source, Max: limit}, &src); err != nil {
				return err
			}
			if err := runAct(ctx, waitCtx(ctx, "DynamoDB Scan COUNT "+res.Target, 30*time.Minute), a.CountItems, activities.ItemCountInput{Region: region, Table: res.Target, Max: limit}, &dst); err != nil {
				return err
			}
			v.SourceCount, v.RestoredCount, v.Complete = src.Count, dst.Count, src.Complete && dst.Complete
			if len(keys) > 0 {
				var sp, dp []activities.ItemProbe
				if err := runAct(ctx, describeCtx(ctx, "DynamoDB GetItem integrity keys "+res.Source), a.ProbeItems, activities.ItemProbeInput{Region: region, Table: res.Source, Keys: keys}, &sp); err != nil {
					return err
				}
				if err := runAct(ctx, describeCtx(ctx, "DynamoDB GetItem integrity keys "+res.Target), a.ProbeItems, activities.ItemProbeInput{Region: region, Table: res.Target, Keys: keys}, &dp); err != nil {
					return err
				}
				for j := range min(len(sp), len(dp)) {
					v.Probes = append(v.Probes, ProbeRow{Key: sp[j].Key, InSource: sp[j].Found, InRestored: dp[j].Found, Same: sp[j].Found == dp[j].Found && sp[j].Digest == dp[j].Digest})
				}
			}
			vals[i] = v
			return nil
		})
	}
	if err := c.r.parallel(branches...); err != nil {
		return err
	}
	c.rep.Validation, c.rep.Differences = vals, nil
	for _, v := range vals {
		c.rep.Differences = append(c.rep.Differences, v.differences(c.t.Corruption.ScanLimit)...)
	}
	if !c.req.SkipAurora {
		c.r.note("Aurora data is not compared by this workflow: check the restored cluster with SQL before approving the cutover")
	}
	return nil
}

func (v TableValidation) differences(limit int32) []string {
	var out []string
	switch d := v.RestoredCount - v.SourceCount; {
	case !v.Complete:
		out = append(out, fmt.Sprintf("%s: counted only up to %d items (corruption.scanLimit): source %d, restored %d", v.Table, limit, v.SourceCount, v.RestoredCount))
	case d < 0:
		out = append(out, fmt.Sprintf("%s: the restore has %d items, the source %d (%d fewer: written after the restore point)", v.Table, v.RestoredCount, v.SourceCount, -d))
	case d > 0:
		out = append(out, fmt.Sprintf("%s: the restore has %d items, the source %d (%d more: deleted after the restore point)", v.Table, v.RestoredCount, v.SourceCount, d))
	}
	for _, p := range v.Probes {
		switch {
		case !p.InRestored:
			out = append(out, fmt.Sprintf("%s: integrity key %s is MISSING from the restore %s", v.Table, p.Key, v.Restored))
		case !p.InSource:
			out = append(out, fmt.Sprintf("%s: integrity key %s exists in the restore but not in the source (deleted after the restore point)", v.Table, p.Key))
		case !p.Same:
			out = append(out, fmt.Sprintf("%s: integrity key %s differs between source and restore (changed after the restore point)", v.Table, p.Key))
		}
	}
	return out
}

// replacements maps each source resource name (and cluster endpoint) to its restored counterpart.
func (c *corruption) replacements() map[string]string {
	m := map[string]string{}
	for _, res := range c.rep.Restored {
		m[res.Source] = res.Target
		if res.SourceEndpoint != "" && res.Endpoint != "" {
			m[res.SourceEndpoint] = res.Endpoint
		}
	}
	return m
}

// ssmValue is what the application reads from corruption.ssmParameter in the ssm cutover mode.
func (c *corruption) ssmValue() string {
	v := struct {
		Region         string            `json:"region"`
		RestoreTime    time.Time         `json:"restoreTime"`
		Tables         map[string]string `json:"tables"`
		AuroraCluster  string            `json:"auroraCluster,omitempty"`
		AuroraEndpoint string            `json:"auroraEndpoint,omitempty"`
	}{Region: c.req.Region, RestoreTime: c.rep.RestoreTime, Tables: map[string]string{}}
	for _, res := range c.rep.Restored {
		if res.Kind == "aurora-cluster" {
			v.AuroraCluster, v.AuroraEndpoint = res.Target, res.Endpoint
		} else {
			v.Tables[res.Source] = res.Target
		}
	}
	b, _ := json.Marshal(v)
	return string(b)
}

// planCutover reads, before the cutover gate, which variables name the corrupted resources, so the approver
// sees exactly what the cutover will change and which restored resource nothing would point at.
func (c *corruption) planCutover(ctx workflow.Context) error {
	if c.t.Corruption.Cutover == topology.CutoverSSM {
		c.rep.CutoverPlan = []string{fmt.Sprintf("SSM parameter %s in %s := %s", c.t.Corruption.SSMParameter, c.req.Region, c.ssmValue())}
		return nil
	}
	var values []string
	for _, res := range c.rep.Restored {
		values = append(values, res.Source, res.Target)
		if res.SourceEndpoint != "" && res.Endpoint != "" {
			values = append(values, res.SourceEndpoint, res.Endpoint)
		}
	}
	fns := c.t.FunctionNames()
	envs := make([]activities.FunctionEnv, len(fns))
	var branches []func(ctx workflow.Context) error
	for i, fn := range fns {
		branches = append(branches, func(ctx workflow.Context) error {
			q := activities.FunctionEnvQuery{Region: c.req.Region, Function: fn, Values: values}
			return runAct(ctx, describeCtx(ctx, "Lambda GetFunctionConfiguration "+fn), a.GetFunctionEnvironment, q, &envs[i])
		})
	}
	if err := c.r.parallel(branches...); err != nil {
		return err
	}
	var plan []string
	for _, res := range c.rep.Restored {
		var holders []string
		for i, fn := range fns {
			for _, k := range envs[i].Holders[res.Source] {
				holders = append(holders, fn+"."+k)
			}
			for _, k := range envs[i].Holders[res.Target] {
				holders = append(holders, fn+"."+k+" (already)")
			}
		}
		if len(holders) == 0 {
			plan = append(plan, fmt.Sprintf("%s → %s: NO function variable names it; the application will not use this restore", res.Source, res.Target))
			continue
		}
		plan = append(plan, fmt.Sprintf("%s → %s: %s", res.Source, res.Target, strings.Join(holders, ", ")))
	}
	c.rep.CutoverPlan = plan
	return nil
}

func (c *corruption) cutoverSummary() string {
	var b strings.Builder
	fmt.Fprintf(&b, "Point the application at the data restored to %s, then resume writes.", c.rep.RestoreTime.Format(time.RFC3339))
	fmt.Fprintf(&b, " Cutover: %s.", strings.Join(c.rep.CutoverPlan, "; "))
	if v := c.r.status.Step("validate"); v != nil && v.Outcome == OutcomeSkipped {
		// An operator skipped a failed validation: "no differences" would read as a clean comparison.
		b.WriteString(" Validation was SKIPPED: the restored data was NOT compared with the source; check it before approving.")
	} else if len(c.rep.Differences) == 0 {
		b.WriteString(" Validation found no differences.")
	} else {
		fmt.Fprintf(&b, " Validation found %d difference(s): %s.", len(c.rep.Differences), strings.Join(c.rep.Differences, "; "))
	}
	b.WriteString(" Reject to keep writes stopped and the restored resources in place.")
	return b.String()
}

func (c *corruption) cutover(ctx workflow.Context) error {
	if c.t.Corruption.Cutover == topology.CutoverSSM {
		var res activities.ParameterPutResult
		in := activities.ParameterPut{Region: c.req.Region, Name: c.t.Corruption.SSMParameter, Value: c.ssmValue()}
		return runAct(ctx, mutateCtx(ctx, "SSM PutParameter "+in.Name), a.PutParameterValue, in, &res)
	}
	repl := c.replacements()
	var branches []func(ctx workflow.Context) error
	for _, fn := range c.t.FunctionNames() {
		branches = append(branches, func(ctx workflow.Context) error {
			var changed bool
			return c.updateEnv(ctx, activities.EnvChange{Region: c.req.Region, Function: fn, Replace: repl}, &changed)
		})
	}
	return c.r.parallel(branches...)
}

// resumeWrites puts back exactly what stop-writes replaced: READ_ONLY_MODE's previous value (or its
// absence) and nothing else, or the stage's previous throttling.
func (c *corruption) resumeWrites(ctx workflow.Context) error {
	region := c.req.Region
	var branches []func(ctx workflow.Context) error
	for i := range c.rep.WriteStops {
		ws := &c.rep.WriteStops[i]
		if !ws.Recorded {
			continue
		}
		branches = append(branches, func(ctx workflow.Context) error {
			if ws.PriorThrottle != nil {
				t := c.t
				ref := activities.APIStageRef{Region: region, RestAPIID: t.API.RestAPIIDs[region], Stage: t.API.Stage}
				var res activities.StageThrottleResult
				if err := runAct(ctx, mutateCtx(ctx, "API Gateway UpdateStage restore throttling "+ws.Resource), a.SetStageThrottling,
					activities.StageThrottleChange{APIStageRef: ref, Target: *ws.PriorThrottle}, &res); err != nil {
					return err
				}
				ws.Resumed = true
				return nil
			}
			ch := activities.EnvChange{Region: region, Function: ws.Resource}
			if ws.PriorValue == nil {
				ch.Unset = []string{ReadOnlyVar}
			} else {
				ch.Set = map[string]string{ReadOnlyVar: *ws.PriorValue}
			}
			var changed bool
			if err := c.updateEnv(ctx, ch, &changed); err != nil {
				return err
			}
			ws.Resumed = true
			return nil
		})
	}
	return c.r.parallel(branches...)
}

// writesStopped reports whether any write stop was (or may have been) applied and not yet undone.
func (c *corruption) writesStopped() bool {
	for _, ws := range c.rep.WriteStops {
		if ws.Recorded && !ws.Resumed {
			return true
		}
	}
	return false
}

// end writes the report. After an abort, rejection or cancel with writes stopped, writes stay stopped
// unless an operator approves resume-writes; an automatic approval never resumes them.
func (c *corruption) end(ctx workflow.Context, err error) (CorruptionReport, error) {
	r := c.r
	phase := r.settle(ctx, err)
	if err != nil && c.writesStopped() {
		r.note(fmt.Sprintf("the run %s with writes stopped; they stay stopped unless an operator approves %s", phase, GateResumeWrites))
		c.offerResume(phase)
	}
	c.rep.WritesStopped = c.writesStopped()
	for _, res := range c.rep.Restored {
		if res.Requested {
			c.rep.Kept = append(c.rep.Kept, fmt.Sprintf("%s %s (restore of %s, %s)", res.Kind, res.Target, res.Source, orUnknown(res.Status)))
		}
	}
	var rto time.Duration
	if phase == PhaseCompleted {
		rto = c.resumedAt.Sub(r.status.DetectedAt)
	}
	r.finish(phase, rto)
	c.rep.RunSummary = r.summary(phase)
	c.rep.Message = c.message(phase)
	if phase == PhaseFailed {
		return c.rep, err
	}
	if phase == PhaseCancelled {
		return c.rep, temporal.NewCanceledError(c.rep)
	}
	return c.rep, nil
}

func (c *corruption) offerResume(phase string) {
	r := c.r
	target := "the ORIGINAL resources, which may hold corrupted data"
	if c.rep.CutoverDone {
		target = "the restored resources (the cutover was done)"
	}
	summary := fmt.Sprintf("The run %s while writes were stopped on %d resource(s). Approve to restore exactly the previous settings, so the application writes again to %s; reject, or let the deadline pass, to keep writes stopped.",
		phase, len(c.rep.WriteStops), target)
	auto := r.common.AutoApprove
	r.common.AutoApprove = false
	_, err := r.gate(GateResumeWrites, gateOpts{Summary: summary, Options: []string{"approve: resume writes", "reject: keep writes stopped"}})
	r.common.AutoApprove = auto
	if err != nil {
		r.note("writes remain stopped: " + GateResumeWrites + " was not approved")
		return
	}
	if err := r.step("resume-writes", "Resume writes after the stop: restore exactly the previous settings", stepOpts{Critical: true}, c.resumeWrites); err != nil {
		r.note("resuming writes did not finish: " + errMessage(err))
	}
}

func (c *corruption) message(phase string) string {
	var kept []string
	for _, res := range c.rep.Restored {
		if res.Requested {
			kept = append(kept, res.Target)
		}
	}
	switch {
	case phase == PhaseCompleted:
		return fmt.Sprintf("Restored to %s and cut over to %s; writes resumed.", c.rep.RestoreTime.Format(time.RFC3339), strings.Join(kept, ", "))
	case c.rep.WritesStopped:
		s := fmt.Sprintf("Run %s. WRITES ARE STILL STOPPED (%s).", phase, c.rep.WriteStopMode)
		if len(kept) > 0 {
			s += " Restored resources kept: " + strings.Join(kept, ", ") + "."
		}
		return s
	}
	s := fmt.Sprintf("Run %s; writes are not stopped.", phase)
	if len(kept) > 0 {
		s += " Restored resources kept: " + strings.Join(kept, ", ") + "."
	}
	return s
}

// String renders the report for terminals.
func (rep CorruptionReport) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "DataCorruptionRecovery: %s\n%s\n\n", strings.ToUpper(rep.Outcome), rep.Message)
	fmt.Fprintf(&b, "corruption started %s, proposed restore point %s, restored to %s\n", rep.CorruptionStartedAt.Format(time.RFC3339),
		rep.ProposedRestoreTime.Format(time.RFC3339), orUnknown(formatTime(rep.RestoreTime)))
	fmt.Fprintf(&b, "writes (%s): stopped at the end = %v\n", rep.WriteStopMode, rep.WritesStopped)
	for _, ws := range rep.WriteStops {
		fmt.Fprintf(&b, "  %-40s previous %-30s resumed %v\n", ws.Resource, ws.Previous(), ws.Resumed)
	}
	for _, res := range rep.Restored {
		if res.Requested {
			fmt.Fprintf(&b, "restored %-16s %s -> %s (%s)\n", res.Kind, res.Source, res.Target, res.Status)
		}
	}
	for _, d := range rep.Differences {
		fmt.Fprintf(&b, "difference: %s\n", d)
	}
	for _, p := range rep.CutoverPlan {
		fmt.Fprintf(&b, "cutover: %s\n", p)
	}
	for _, st := range rep.Steps {
		fmt.Fprintf(&b, "step %-34s %-8s %s\n", st.Name, st.Outcome, st.Duration().Round(time.Second))
	}
	for _, n := range rep.Notes {
		fmt.Fprintf(&b, "note: %s\n", n)
	}
	return b.String()
}

func formatTime(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(time.RFC3339)
}

var _ json.Unmarshaler = (*CorruptionRequest)(nil)
