package workflows

import "go.temporal.io/sdk/temporal"

// Every name a client, the UI or a history depends on lives here: renaming one breaks running workflows
// and the commands people have written down, so they change in one reviewed place.

// TaskQueue is where the worker listens.
const TaskQueue = "roadcall-dr"

// Workflow types: the function names, which the worker registers under their own names.
const (
	WorkflowRegionFailover = "RegionFailover"
	WorkflowFailback       = "Failback"
	WorkflowDegradation    = "PartialDegradation"
	WorkflowCorruption     = "DataCorruptionRecovery"
	WorkflowDrill          = "DRDrill"
	WorkflowReadiness      = "ReadinessCheck"
	WorkflowOutageWatch    = "OutageWatch"
	WorkflowEvaluation     = "PlanEvaluation"
)

// Scenario keys: the DRScenario search attribute and the prefix of each workflow ID.
const (
	ScenarioFailover    = "failover"
	ScenarioFailback    = "failback"
	ScenarioDegradation = "degradation"
	ScenarioCorruption  = "corruption"
	DrillScenario       = "drill"
	ScenarioReadiness   = "readiness"
	ScenarioWatch       = "watch"
	ScenarioEvaluation  = "evaluation"
)

// Query, signal and update names.
const (
	QueryStatus    = "status"
	SignalApprove  = "approve"
	UpdateApprove  = "approve"
	SignalOperator = "operator"
	UpdateOperator = "operator"
	// SignalPause and SignalResume stop and restart the outage watch's starts; it keeps evaluating.
	SignalPause  = "pause"
	SignalResume = "resume"
)

// WatchInitiator is the initiator of a failover the outage watch starts: a machine, so that under the
// two-person rule every human approver may still approve it.
const WatchInitiator = "outage-watch"

// Gates, by scenario.
const (
	// GateFailover is RegionFailover's only gate: nothing in AWS changes before it opens.
	GateFailover = "failover"

	// Failback's gates. "rebuild" only opens when the DR cluster was detached from the global database.
	GateFailback = "failback"
	GateRebuild  = "rebuild"

	// PartialDegradation's gates: nothing changes in AWS before "plan" is approved; "revert" lets people
	// restore the recorded settings before the stable period has passed, or keep the scaled ones (reject).
	GateDegradationPlan   = "plan"
	GateDegradationRevert = "revert"

	// DataCorruptionRecovery's gates.
	GateRestorePoint = "restore-point"
	GateCutover      = "cutover"
	GateResumeWrites = "resume-writes"
)

// Run phases shown by the status query.
const (
	PhaseRunning          = "running"
	PhaseAwaitingApproval = "awaiting-approval"
	PhaseAwaitingOperator = "awaiting-operator"
	PhaseCompleted        = "completed"
	PhaseRejected         = "rejected"
	PhaseAborted          = "aborted"
	PhaseCancelled        = "cancelled"
	PhaseFailed           = "failed"
	// PhaseRefused ends a failback that found nothing to fail back or a primary not ready; nothing was changed.
	PhaseRefused = "refused"
)

// Step outcomes.
const (
	OutcomeRunning = "running"
	OutcomeOK      = "ok"
	OutcomeFailed  = "failed"
	OutcomeSkipped = "skipped"
	OutcomeAborted = "aborted"
)

// Check verdicts, of readiness rows, pre-checks and checklist items.
const (
	Pass = "pass"
	Warn = "warn"
	Fail = "fail"
)

// Error types of runs that end without a report.
const (
	// ErrInvalidRequest is the error type of a request refused before any AWS call.
	ErrInvalidRequest = "InvalidRequest"
	// ErrFailbackRefused is the error type of a refused failback.
	ErrFailbackRefused = "FailbackRefused"
)

// Search attributes, registered on the dev server with --search-attribute and by `starter setup`.
var (
	SAScenario   = temporal.NewSearchAttributeKeyKeyword("DRScenario")
	SAStage      = temporal.NewSearchAttributeKeyKeyword("DRStage")
	SAOutcome    = temporal.NewSearchAttributeKeyKeyword("DROutcome")
	SADrill      = temporal.NewSearchAttributeKeyBool("DRDrill")
	SARTOSeconds = temporal.NewSearchAttributeKeyInt64("DRRTOSeconds")
	// SAParentDrill is the workflow ID of the drill that started a run (version uiNames): a drill's
	// children carry it, a run started by hand does not (`DRParentDrill IS NULL`).
	SAParentDrill = temporal.NewSearchAttributeKeyKeyword("DRParentDrill")
)

// MemoParentDrill is the memo key a drill's children carry with the drill's workflow ID (version uiNames).
const MemoParentDrill = "parentDrill"

// SearchAttributeTypes lists the attributes with the type names the temporal CLI expects.
var SearchAttributeTypes = map[string]string{
	"DRScenario": "Keyword", "DRStage": "Keyword", "DROutcome": "Keyword", "DRDrill": "Bool", "DRRTOSeconds": "Int",
	"DRParentDrill": "Keyword",
}
