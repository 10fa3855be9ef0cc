// Package workflows holds the DR scenarios as deterministic Temporal workflows: the decisions, the approval
// gates, the operator controls and the timeline. Side effects live in package activities.
package workflows

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"go.temporal.io/sdk/temporal"

	"github.com/roadcall/dr/internal/topology"
)

// TaskQueue is where the worker listens.
const TaskQueue = "roadcall-dr"

// Query, signal and update names.
const (
	QueryStatus    = "status"
	SignalApprove  = "approve"
	UpdateApprove  = "approve"
	SignalOperator = "operator"
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
)

// Step outcomes.
const (
	OutcomeRunning = "running"
	OutcomeOK      = "ok"
	OutcomeFailed  = "failed"
	OutcomeSkipped = "skipped"
	OutcomeAborted = "aborted"
)

// Search attributes, registered on the dev server with --search-attribute and by `starter setup`.
var (
	SAScenario   = temporal.NewSearchAttributeKeyKeyword("DRScenario")
	SAStage      = temporal.NewSearchAttributeKeyKeyword("DRStage")
	SAOutcome    = temporal.NewSearchAttributeKeyKeyword("DROutcome")
	SADrill      = temporal.NewSearchAttributeKeyBool("DRDrill")
	SARTOSeconds = temporal.NewSearchAttributeKeyInt64("DRRTOSeconds")
)

// SearchAttributeTypes lists the attributes with the type names the temporal CLI expects.
var SearchAttributeTypes = map[string]string{
	"DRScenario": "Keyword", "DRStage": "Keyword", "DROutcome": "Keyword", "DRDrill": "Bool", "DRRTOSeconds": "Int",
}

// ErrInvalidRequest is the error type of a request refused before any AWS call.
const ErrInvalidRequest = "InvalidRequest"

// Common is embedded in every scenario request.
type Common struct {
	// Topology is the resolved platform; carried whole so the history replays without files.
	Topology topology.Topology `json:"topology"`
	// Initiator is who started the run; under the two-person rule they may not approve it.
	Initiator string `json:"initiator,omitempty"`
	// AutoApprove approves every gate as "auto" (drills).
	AutoApprove bool `json:"autoApprove,omitempty"`
	// Drill marks the run as an exercise in search attributes and reports.
	Drill bool `json:"drill,omitempty"`
	// DetectedAt is when the incident was detected; RTO is measured from it (default: the run's start).
	DetectedAt *time.Time `json:"detectedAt,omitempty"`

	// decodeProblem keeps what strict decoding found (an unknown field) for Validate to report, because a
	// decode error would fail the workflow task forever instead of failing the run with a clear message.
	decodeProblem error
}

// Prepare fills topology defaults and validates the common part; scenario requests call it first.
func (c *Common) Prepare() error {
	if c.decodeProblem != nil {
		return c.decodeProblem
	}
	c.Topology.ApplyDefaults()
	return c.Topology.Validate()
}

// decodeStrict decodes b into v refusing unknown fields; an unknown field is recorded in problem and the
// value decoded leniently, so the workflow can refuse the run with the field's name.
func decodeStrict(b []byte, v any, problem *error) error {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	err := dec.Decode(v)
	if err == nil {
		return nil
	}
	if strings.HasPrefix(err.Error(), "json: unknown field ") {
		name := strings.Trim(strings.TrimPrefix(err.Error(), "json: unknown field "), `"`)
		*problem = topology.Errors{{Field: name, Problem: "unknown field in the request", Fix: "remove it or correct its spelling"}}
		return json.Unmarshal(b, v)
	}
	return err
}

// RefuseInput records that the request's payload could not be decoded at all (malformed JSON from some
// client), so the workflow refuses the run with InvalidRequest instead of the SDK failing it opaquely.
func (c *Common) RefuseInput(err error) {
	c.decodeProblem = fmt.Errorf("request: malformed JSON (%v); send one JSON object such as examples/requests/*.json", err)
}

// durationField is a request duration checked by negativeDurations.
type durationField struct {
	name string
	v    topology.Duration
}

// negativeDurations refuses request durations below zero; zero keeps the default.
func negativeDurations(fields ...durationField) topology.Errors {
	var es topology.Errors
	for _, d := range fields {
		if d.v < 0 {
			es = append(es, topology.FieldError{Field: d.name, Problem: fmt.Sprintf("must not be negative, got %s", d.v), Fix: "leave it out for the default or give a positive duration"})
		}
	}
	return es
}

// initiatorProblems refuses a gated run under the two-person rule that names no initiator: the approve
// validator could not tell the initiator from anyone else, and the rule would pass unnoticed.
func (c *Common) initiatorProblems() topology.Errors {
	if c.Topology.Approvals.TwoPerson && !c.AutoApprove && strings.TrimSpace(c.Initiator) == "" {
		return topology.Errors{{Field: "initiator", Problem: "is missing while approvals.twoPerson is on",
			Fix: "say who starts the run (starter --initiator) so that someone else approves it"}}
	}
	return nil
}

// invalid wraps a validation failure as the non-retryable InvalidRequest error.
func invalid(err error) error {
	if err == nil {
		return nil
	}
	return temporal.NewNonRetryableApplicationError(err.Error(), ErrInvalidRequest, nil)
}

// IsInvalidRequest reports whether err is (or wraps) an InvalidRequest application error.
func IsInvalidRequest(err error) bool {
	var ae *temporal.ApplicationError
	return errors.As(err, &ae) && ae.Type() == ErrInvalidRequest
}

// StepRecord is one row of the timeline.
type StepRecord struct {
	Name     string    `json:"name"`
	Title    string    `json:"title"`
	Critical bool      `json:"critical"`
	Started  time.Time `json:"started"`
	Ended    time.Time `json:"ended,omitzero"`
	Outcome  string    `json:"outcome"`
	Error    string    `json:"error,omitempty"`
	Detail   string    `json:"detail,omitempty"`
	// Attempts counts operator retries plus one.
	Attempts int `json:"attempts"`
	// Budget is the runbook's time budget for the step, when it has one.
	Budget time.Duration `json:"budget,omitempty"`
}

// MarshalJSON adds status, startedAt and endedAt, the names the status interface of the issues promises
// to `temporal workflow query` users, beside the Go field names.
func (s StepRecord) MarshalJSON() ([]byte, error) {
	type plain StepRecord
	var ended *time.Time
	if !s.Ended.IsZero() {
		ended = &s.Ended
	}
	return json.Marshal(struct {
		plain
		Status    string     `json:"status"`
		StartedAt time.Time  `json:"startedAt"`
		EndedAt   *time.Time `json:"endedAt,omitempty"`
	}{plain(s), s.Outcome, s.Started, ended})
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
}

// Approval is a decision on a gate, from the approve signal or update.
type Approval struct {
	Gate     string `json:"gate"`
	Decision string `json:"decision"` // approve or reject
	Approver string `json:"approver"`
	Comment  string `json:"comment,omitempty"`
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
	PausedSteps []string      `json:"pausedSteps,omitempty"`
	Approvals   []Approval    `json:"approvals,omitempty"`
	Ignored     []string      `json:"ignored,omitempty"`
	StartedAt   time.Time     `json:"startedAt"`
	DetectedAt  time.Time     `json:"detectedAt"`
	Elapsed     time.Duration `json:"elapsed"`
	RTO         time.Duration `json:"rtoObjective"`
	// RTOUsed is elapsed since detection as a fraction of the RTO objective.
	RTOUsed float64 `json:"rtoUsed"`
	// RTOElapsedSeconds is the time since detection, in seconds.
	RTOElapsedSeconds float64  `json:"rtoElapsedSeconds"`
	LastError         string   `json:"lastError,omitempty"`
	Notes             []string `json:"notes,omitempty"`
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
}
