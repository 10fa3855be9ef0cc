package workflows

import (
	"encoding/json"
	"fmt"
	"regexp"
	"time"

	"go.temporal.io/sdk/workflow"

	"github.com/roadcall/dr/internal/topology"
)

// DefaultMaxDrillAge is objectives.maxDrillAge when the topology leaves it out: the runbook's quarterly drill.
const DefaultMaxDrillAge = 90 * 24 * time.Hour

// EvaluationRequest runs PlanEvaluation: whether the failover plan would work today, beyond ReadinessCheck:
// the worker's IAM permissions, capacity and quota parity between the regions, drift of every topology
// resource, and drill staleness. Only changes from the previous evaluation page.
type EvaluationRequest struct {
	Common
	// Principal is the IAM role or user ARN whose policy is simulated; empty: the worker's own identity
	// (sts:GetCallerIdentity, an assumed-role session simulated as its role).
	Principal string `json:"principal,omitempty"`
	// Previous is the evaluation to compare with. Nil: the last completed PlanEvaluation of this platform,
	// read from the visibility store (a Temporal Schedule cannot carry state from one run to the next).
	Previous *EvaluationPrevious `json:"previous,omitempty"`
	// PageOnChange publishes the changes (pass→fail, fail→pass) to the alarm topic (default true).
	PageOnChange *bool `json:"pageOnChange,omitempty"`
}

// EvaluationPrevious is the result an evaluation compares itself with.
type EvaluationPrevious struct {
	WorkflowID string     `json:"workflowId,omitempty"`
	RunID      string     `json:"runId,omitempty"`
	At         time.Time  `json:"at,omitzero"`
	Rows       []CheckRow `json:"rows"`
}

func (r *EvaluationRequest) UnmarshalJSON(b []byte) error {
	type plain EvaluationRequest
	return decodeStrict(b, (*plain)(r), &r.decodeProblem)
}

// principalRE is an ARN iam:SimulatePrincipalPolicy takes: a user, group or role.
var principalRE = regexp.MustCompile(`^arn:aws[a-z-]*:iam::\d{12}:(user|group|role)/.+$`)

// Validate is everything the workflow checks before any AWS call; the starter runs it first.
func (r *EvaluationRequest) Validate() error {
	if es := r.longStrings(r); len(es) > 0 {
		return es
	}
	if err := r.Prepare(); err != nil {
		return err
	}
	var es topology.Errors
	if r.Principal != "" && !principalRE.MatchString(r.Principal) {
		es = append(es, topology.FieldError{Field: "principal", Problem: fmt.Sprintf("%q is not an IAM user, group or role ARN", r.Principal),
			Fix: "give arn:aws:iam::ACCOUNT:role/NAME (not an sts assumed-role session), or leave it out to simulate the worker's identity"})
	}
	if d := r.Topology.Objectives.MaxDrillAge; d < 0 {
		es = append(es, topology.FieldError{Field: "objectives.maxDrillAge", Problem: d.String() + " is negative", Fix: "give a positive age, e.g. \"2160h\" (90 days), or leave it out"})
	}
	if len(es) > 0 {
		return es
	}
	return nil
}

func (r *EvaluationRequest) maxDrillAge() time.Duration {
	if d := r.Topology.Objectives.MaxDrillAge.D(); d > 0 {
		return d
	}
	return DefaultMaxDrillAge
}

var evaluationScenario = scenario{Workflow: WorkflowEvaluation, Key: ScenarioEvaluation, Budgets: map[string]time.Duration{}}

// Where the previous result came from.
const (
	PreviousFromRequest    = "request"
	PreviousFromVisibility = "visibility"
	PreviousNone           = "none"
	PreviousUnavailable    = "unavailable"
)

// EvaluationReport is the PlanEvaluation result; the next evaluation reads its Rows as the previous.
type EvaluationReport struct {
	Overall string     `json:"overall"`
	Rows    []CheckRow `json:"rows"`
	Pass    int        `json:"pass"`
	Warn    int        `json:"warn"`
	Fail    int        `json:"fail"`
	// Changes are the rows that went to fail or came back from it since the previous evaluation.
	Changes []RowChange `json:"changes"`
	Paged   bool        `json:"paged"`
	// PreviousSource says what the changes were computed against (request, visibility, none, unavailable).
	PreviousSource string              `json:"previousSource"`
	Previous       *EvaluationPrevious `json:"previous,omitempty"`
	// Principal is the IAM entity whose policy was simulated.
	Principal string       `json:"principal,omitempty"`
	Notes     []string     `json:"notes,omitempty"`
	StartedAt time.Time    `json:"startedAt"`
	EndedAt   time.Time    `json:"endedAt"`
	Steps     []StepRecord `json:"steps"`
}

// iamNote is said in every report: the one check that uses a control plane in the primary region.
const iamNote = "IAM permissions are simulated with iam:SimulatePrincipalPolicy, whose control plane is in us-east-1: a pre-disaster check. " +
	"In a us-east-1 outage it cannot be read; the failover itself calls no IAM API."

// PlanEvaluation evaluates the failover plan: IAM, capacity and quota parity, drift and drill staleness,
// each check pass, warn or fail with a reason. It changes nothing in AWS; it publishes to the alarm topic
// only what changed since the previous evaluation, so the same failure is not paged every run.
func PlanEvaluation(ctx workflow.Context, req EvaluationRequest) (EvaluationReport, error) {
	req.adoptLimits(ctx)
	if err := req.Validate(); err != nil {
		return EvaluationReport{}, invalid(err)
	}
	r, err := start(ctx, evaluationScenario, &req.Common)
	if err != nil {
		return EvaluationReport{}, err
	}
	rep := EvaluationReport{StartedAt: r.status.StartedAt, PreviousSource: PreviousFromRequest, Previous: req.Previous, Notes: []string{iamNote}}
	if req.Previous == nil {
		_ = r.step("previous", "Read the last completed evaluation from the visibility store", stepOpts{}, func(ctx workflow.Context) error {
			rep.PreviousSource, rep.Previous = previousEvaluation(ctx, req)
			if rep.PreviousSource == PreviousUnavailable {
				r.addNote("the previous evaluation could not be read: every failing check is paged as new")
			}
			return nil
		})
	}
	_ = r.step("checks", "Evaluate IAM, capacity parity, drift and drill staleness in parallel", stepOpts{}, func(ctx workflow.Context) error {
		rep.Rows, rep.Principal = evaluationChecks(ctx, req)
		return nil
	})
	rep.Pass, rep.Warn, rep.Fail, rep.Overall = tally(rep.Rows)
	var prev []CheckRow
	if rep.Previous != nil {
		prev = rep.Previous.Rows
	}
	rep.Changes = rowChanges(prev, rep.Rows)
	if len(rep.Changes) > 0 && (req.PageOnChange == nil || *req.PageOnChange) {
		_ = r.step("alarm", "Publish what changed to the alarm topic", stepOpts{}, func(ctx workflow.Context) error {
			subject, body := changeMessage(req.Topology.ID(), rep.Changes)
			r.notify(subject, body)
			rep.Paged = true
			return nil
		})
	}
	rep.EndedAt = workflow.Now(ctx)
	r.finish(PhaseCompleted, 0)
	r.upsert(SAOutcome.ValueSet(rep.Overall))
	rep.Steps = r.snapshot().Steps
	return rep, nil
}

var _ json.Unmarshaler = (*EvaluationRequest)(nil)
