package workflows

import (
	"encoding/json"
	"fmt"
	"time"

	"go.temporal.io/sdk/workflow"

	"github.com/roadcall/dr/activities"
	"github.com/roadcall/dr/internal/topology"
)

// Budgets of the runbook's Scenario 3, keyed by step name: "Assess Damage (15 minutes)" and "Restore
// from Backup (30 minutes)", which every restore:<resource> step gets. The runbook's "Stop Writes
// (Immediate)" gives no figure and its "Validate Restored Data" none at all; the 5 and 15 minutes here are
// this workflow's own budgets for them, so a slow stop or comparison is still flagged.
var corruptionBudgets = map[string]time.Duration{
	"stop-writes": 5 * time.Minute, "assess": 15 * time.Minute, "restore": 30 * time.Minute, "validate": 15 * time.Minute,
}

var corruptionScenario = scenario{Workflow: WorkflowCorruption, Key: ScenarioCorruption,
	Gates: []string{GateRestorePoint, GateCutover, GateResumeWrites}, Budgets: corruptionBudgets}

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
	// withoutScopeLimit: a run recorded before scopeBounds, replayed as it ran.
	withoutScopeLimit bool
}

func (r *CorruptionRequest) UnmarshalJSON(b []byte) error {
	type plain CorruptionRequest
	return decodeStrict(b, (*plain)(r), &r.decodeProblem)
}

// PrepareAt fills defaults and validates the request as of now; the workflow and the starter both run it
// before anything touches AWS.
func (r *CorruptionRequest) PrepareAt(now time.Time) error {
	if es := r.longStrings(r); len(es) > 0 {
		return es
	}
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
			add(fmt.Sprintf("tables[%d]", i), fmt.Sprintf("%q is not a table of the topology", name), "use one of "+topology.NameList(t.TableNames()))
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
	es = append(es, r.scopeProblems()...)
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
	// Alias is set for a function the API invokes through an alias.
	Alias   *AliasStop `json:"alias,omitempty"`
	Changed bool       `json:"changed"`
	Resumed bool       `json:"resumed"`
}

// AliasStop records a write stop that reached an alias's traffic: a published version carrying the change,
// the alias moved to it.
type AliasStop struct {
	Name string `json:"name"`
	// Prior is where the alias pointed before the stop, read once before any change: what a resume without
	// cutover puts back.
	Prior activities.AliasTarget `json:"prior"`
	// Serving is the version this run last pointed the alias at (the read-only one, then the cutover's).
	Serving string `json:"serving,omitempty"`
	// Resumed is where the resume pointed the alias.
	Resumed *activities.AliasTarget `json:"resumed,omitempty"`
}

// Previous describes the value the stop replaced.
func (w WriteStop) Previous() string {
	var s string
	switch {
	case w.PriorThrottle != nil:
		return w.PriorThrottle.String()
	case w.PriorValue != nil:
		s = ReadOnlyVar + "=" + *w.PriorValue
	default:
		s = ReadOnlyVar + " not set"
	}
	if w.Alias != nil {
		s = fmt.Sprintf("alias %s → %s, %s in $LATEST", w.Alias.Name, aliasTargetText(w.Alias.Prior), s)
	}
	return s
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
	// Settings are the source's settings the restore was given: what a point-in-time restore drops.
	Settings []activities.CarriedSetting `json:"settings,omitempty"`
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
	req.adoptLimits(ctx)
	req.withoutScopeLimit = version(ctx, scopeBounds) == workflow.DefaultVersion
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
	c.rep.ProposedRestoreTime = proposedRestoreTime(c.rep.CorruptionStartedAt, t.Corruption.RestoreMargin.D())
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

// recover is the order of the steps. Writes stop first, with no gate: every minute they run on may
// write more corrupted data.
func (c *corruption) recover() error {
	r := c.r
	if err := r.step("stop-writes", stopTitle(c.t.Corruption.WriteStop), stepOpts{Critical: true}, c.stopWrites); err != nil {
		return err
	}
	r.notify(stoppedPage(c.t, c.rep.CorruptionStartedAt))
	if err := r.step("assess", "Assess damage: PITR windows, Aurora restorable window, recent recovery points", stepOpts{Critical: true}, c.assess); err != nil {
		return err
	}
	if err := c.agreeRestorePoint(); err != nil {
		return err
	}
	if err := c.restore(); err != nil {
		return err
	}
	if err := r.step("validate", "Validate restored data: item counts against the source and integrity keys", stepOpts{}, c.validate); err != nil {
		return err
	}
	if err := r.step("plan-cutover", "Find where the application names the corrupted resources", stepOpts{Critical: true}, c.planCutover); err != nil {
		return err
	}
	if _, err := r.gate(GateCutover, gateOpts{Summary: c.rep.cutoverSummary(c.validationSkipped()),
		Options: []string{"approve: point the application at the restored resources and resume writes", "reject: keep writes stopped and the restored resources for inspection"}}); err != nil {
		return err
	}
	if err := r.step("cutover", "Cutover to restored resources", stepOpts{Critical: true}, c.cutover); err != nil {
		return err
	}
	c.rep.CutoverDone = true
	r.note(replicationNote(c.t, c.req.Region, c.req.SkipAurora))
	if err := r.step("resume-writes", "Resume writes: restore exactly the previous settings", stepOpts{Critical: true}, c.resumeWrites); err != nil {
		return err
	}
	c.resumedAt = workflow.Now(r.ctx)
	return nil
}

var _ json.Unmarshaler = (*CorruptionRequest)(nil)
