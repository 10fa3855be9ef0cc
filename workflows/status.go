package workflows

import (
	"fmt"
	"time"

	"github.com/roadcall/dr/internal/identity"
	"github.com/roadcall/dr/internal/topology"
)

// StepRecord is one row of the timeline.
type StepRecord struct {
	Name     string    `json:"name"`
	Title    string    `json:"title"`
	Critical bool      `json:"critical"`
	Started  time.Time `json:"startedAt"`
	Ended    time.Time `json:"endedAt,omitzero"`
	Outcome  string    `json:"outcome"`
	Error    string    `json:"error,omitempty"`
	Detail   string    `json:"detail,omitempty"`
	// Attempts counts operator retries plus one.
	Attempts int `json:"attempts"`
	// Retries counts the retries of the step's activities that AWS's transient errors (throttling, 5xx, no
	// answer) cost without an operator: earlier Temporal attempts of each activity that succeeded, and the
	// SDK's retries within its successful attempt.
	Retries int `json:"retries,omitempty"`
	// Budget is the runbook's time budget for the step, when it has one.
	Budget time.Duration `json:"budget,omitempty"`
}

// Duration of a finished step.
func (s StepRecord) Duration() time.Duration {
	if s.Ended.IsZero() {
		return 0
	}
	return s.Ended.Sub(s.Started)
}

// GateStatus describes a gate waiting for people.
type GateStatus struct {
	Name      string    `json:"name"`
	Summary   string    `json:"summary"`
	Requested time.Time `json:"requested"`
	Deadline  time.Time `json:"deadline"`
	// RequireDataLossAck is set when the approval must say it accepts data loss (RPO estimate over objective).
	RequireDataLossAck bool     `json:"requireDataLossAck,omitempty"`
	Escalations        int      `json:"escalations"`
	Options            []string `json:"options,omitempty"`
	// Required is how many distinct principals must approve (the policy's M of M-of-N); Approved how many have.
	Required int `json:"required,omitempty"`
	Approved int `json:"approved,omitempty"`
	// Approvers and TwoPerson are who may approve under the policy the run adopted (none: no policy), so the
	// UI and starter status can say it where the gate waits.
	Approvers []string `json:"approvers,omitempty"`
	TwoPerson bool     `json:"twoPerson,omitempty"`
	// firstApproval is where this opening's approvals start in Status.Approvals.
	firstApproval int
}

// Approval is a decision on a gate, from the approve signal or update.
type Approval struct {
	Gate     string `json:"gate"`
	Decision string `json:"decision"` // approve or reject
	// Approver is who decided: the principal STS proved when Proven, else the typed name.
	Approver string `json:"approver"`
	Comment  string `json:"comment,omitempty"`
	// Token is the approver's presigned sts:GetCallerIdentity request, bound to this run, gate and
	// decision (starter approve makes it); the workflow replaces it with the principal it proves.
	Token *identity.Token `json:"token,omitempty"`
	// Proven is set by the workflow, never taken from the wire: Approver is an STS-proven principal.
	Proven bool `json:"proven,omitempty"`
	// AcceptDataLoss acknowledges an RPO estimate over the objective.
	AcceptDataLoss bool `json:"acceptDataLoss,omitempty"`
	// Value carries a gate-specific choice, e.g. another restore time (RFC 3339) at restore-point.
	Value string    `json:"value,omitempty"`
	At    time.Time `json:"at,omitzero"`
}

// OperatorAction answers a step paused in awaiting-operator.
type OperatorAction struct {
	// Action is retry, skip (non-critical steps only) or abort.
	Action string `json:"action"`
	Step   string `json:"step,omitempty"`
	// Operator is who decided, recorded in the run.
	Operator string `json:"operator,omitempty"`
	Comment  string `json:"comment,omitempty"`
}

// Status is what the status query returns and what the report is built from.
type Status struct {
	Workflow    string       `json:"workflow"`
	Phase       string       `json:"phase"`
	CurrentStep string       `json:"currentStep,omitempty"`
	Steps       []StepRecord `json:"steps"`
	PendingGate *GateStatus  `json:"pendingGate,omitempty"`
	// PendingGates names the gates waiting for a decision (the pending gate's name, or none).
	PendingGates []string `json:"pendingGates"`
	// PausedSteps are steps waiting for an operator decision, with their errors.
	PausedSteps []string   `json:"pausedSteps,omitempty"`
	Approvals   []Approval `json:"approvals,omitempty"`
	Ignored     []string   `json:"ignored,omitempty"`
	// IgnoredDropped counts refused signals older than the MaxIgnored kept in Ignored.
	IgnoredDropped int           `json:"ignoredDropped,omitempty"`
	StartedAt      time.Time     `json:"startedAt"`
	DetectedAt     time.Time     `json:"detectedAt"`
	Elapsed        time.Duration `json:"elapsed"`
	RTO            time.Duration `json:"rtoObjective"`
	// RTOUsed is elapsed since detection as a fraction of the RTO objective.
	RTOUsed float64 `json:"rtoUsed"`
	// RTOElapsedSeconds is the time since detection, in seconds.
	RTOElapsedSeconds float64  `json:"rtoElapsedSeconds"`
	LastError         string   `json:"lastError,omitempty"`
	Notes             []string `json:"notes,omitempty"`
	// NotesDropped counts notes dropped between the first and the latest ones kept.
	NotesDropped int `json:"notesDropped,omitempty"`
	// Authority is the policy and identities the run decides under (nil: no policy, runs before it).
	Authority *Authority `json:"authority,omitempty"`
	// Children are the child workflows the run started (a drill's, version uiNames).
	Children []ChildRun `json:"children,omitempty"`
}

// Step returns the record of a named step, or nil.
func (s *Status) Step(name string) *StepRecord {
	for i := range s.Steps {
		if s.Steps[i].Name == name {
			return &s.Steps[i]
		}
	}
	return nil
}

// WorkflowID derives the ID that makes the server refuse a second concurrent run of a scenario for one
// platform and stage.
func WorkflowID(scenario string, t topology.Topology) string {
	return fmt.Sprintf("%s-%s", scenario, t.ID())
}

// RunSummary is the part of every scenario report the shared machinery fills: outcome, timeline,
// approvals and notes. Scenario reports embed it.
type RunSummary struct {
	Workflow   string       `json:"workflow"`
	Outcome    string       `json:"outcome"`
	StartedAt  time.Time    `json:"startedAt"`
	DetectedAt time.Time    `json:"detectedAt"`
	EndedAt    time.Time    `json:"endedAt"`
	Steps      []StepRecord `json:"steps"`
	Approvals  []Approval   `json:"approvals,omitempty"`
	Notes      []string     `json:"notes,omitempty"`
	Ignored    []string     `json:"ignored,omitempty"`
	// IgnoredDropped and NotesDropped count what the bounded Ignored and Notes left out.
	IgnoredDropped int        `json:"ignoredDropped,omitempty"`
	NotesDropped   int        `json:"notesDropped,omitempty"`
	Authority      *Authority `json:"authority,omitempty"`
	// Review is the s3:// URI of the uploaded post-incident review (reports.bucket, version uiNames).
	Review string `json:"review,omitempty"`
}
