package workflows

import (
	"encoding/json"
	"fmt"
	"time"

	"go.temporal.io/sdk/workflow"
)

// ReadinessRequest runs the runbook's "Pre-Disaster Preparation" as a read-only report.
type ReadinessRequest struct {
	Common
	// AlarmOnFailure publishes one message to the alarm topic when any check fails (default true).
	AlarmOnFailure *bool `json:"alarmOnFailure,omitempty"`
}

func (r *ReadinessRequest) UnmarshalJSON(b []byte) error {
	type plain ReadinessRequest
	return decodeStrict(b, (*plain)(r), &r.decodeProblem)
}

// Validate is everything the workflow checks before any AWS call: the topology.
func (r *ReadinessRequest) Validate() error {
	if es := r.longStrings(r); len(es) > 0 {
		return es
	}
	return r.Prepare()
}

// readinessBudgets is empty: the runbook's "Pre-Disaster Preparation" gives its checks no time budget.
var readinessBudgets = map[string]time.Duration{}

var readinessScenario = scenario{Workflow: WorkflowReadiness, Key: ScenarioReadiness, Budgets: readinessBudgets}

// CheckRow is one line of the readiness report.
type CheckRow struct {
	Check     string `json:"check"`
	Resource  string `json:"resource"`
	Status    string `json:"status"`
	Observed  string `json:"observed"`
	Threshold string `json:"threshold"`
	Reason    string `json:"reason,omitempty"`
}

// ReadinessReport is the ReadinessCheck result.
type ReadinessReport struct {
	Overall   string       `json:"overall"`
	Rows      []CheckRow   `json:"rows"`
	Pass      int          `json:"pass"`
	Warn      int          `json:"warn"`
	Fail      int          `json:"fail"`
	Alarmed   bool         `json:"alarmed"`
	StartedAt time.Time    `json:"startedAt"`
	EndedAt   time.Time    `json:"endedAt"`
	Steps     []StepRecord `json:"steps"`
}

// Failing returns the failing rows.
func (r ReadinessReport) Failing() []CheckRow {
	var out []CheckRow
	for _, row := range r.Rows {
		if row.Status == Fail {
			out = append(out, row)
		}
	}
	return out
}

// ReadinessCheck verifies that a failover would work today: replicas, lags, S3 replication, backups, PITR,
// health checks and the DR standby stacks. It changes nothing except publishing one alarm on failure.
func ReadinessCheck(ctx workflow.Context, req ReadinessRequest) (ReadinessReport, error) {
	req.adoptLimits(ctx)
	if err := req.Validate(); err != nil {
		return ReadinessReport{}, invalid(err)
	}
	r, err := start(ctx, readinessScenario, &req.Common)
	if err != nil {
		return ReadinessReport{}, err
	}
	rep := ReadinessReport{StartedAt: r.status.StartedAt}
	_ = r.step("checks", "Run every preparation check in parallel", stepOpts{}, func(ctx workflow.Context) error {
		rep.Rows = readinessChecks(ctx, req)
		return nil
	})
	rep.Pass, rep.Warn, rep.Fail, rep.Overall = tally(rep.Rows)
	r.metricReadiness(rep.Rows)
	if rep.Fail > 0 && (req.AlarmOnFailure == nil || *req.AlarmOnFailure) {
		_ = r.step("alarm", "Publish the failing checks to the alarm topic", stepOpts{}, func(ctx workflow.Context) error {
			r.notify(fmt.Sprintf("DR readiness FAILED: %d check(s) for %s", rep.Fail, req.Topology.ID()), alarmText(rep.Failing()))
			rep.Alarmed = true
			return nil
		})
	}
	rep.EndedAt = workflow.Now(ctx)
	r.finish(PhaseCompleted, 0)
	r.upsert(SAOutcome.ValueSet(rep.Overall))
	rep.Steps = r.snapshot().Steps
	return rep, nil
}

var _ json.Unmarshaler = (*ReadinessRequest)(nil)
