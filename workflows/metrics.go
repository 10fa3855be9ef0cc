package workflows

import (
	"errors"
	"strings"
	"time"

	"go.temporal.io/sdk/workflow"
)

// DR metrics, emitted through workflow.GetMetricsHandler: the SDK drops them while a workflow task
// replays, so a run counts once however often its history is replayed, and emitting adds no command to
// history (no golden changes). They reach Prometheus through the worker's --metrics-addr beside the SDK's
// temporal_* series; the exporter appends _total to counters and _seconds to timers.
//
// Every tag has bounded cardinality: workflow type, step name (a resource suffix such as "restore:TABLE"
// is cut), gate, decision, outcome, platform, stage and check name come from code or the topology, never
// from a workflow ID or a request's free text.
const (
	MetricRunsStarted      = "roadcall_dr_runs_started"             // counter {scenario}
	MetricRunsFinished     = "roadcall_dr_runs_finished"            // counter {scenario, outcome}
	MetricStepDuration     = "roadcall_dr_step_duration"            // timer {scenario, step, outcome}
	MetricGateWait         = "roadcall_dr_gate_wait"                // timer {scenario, gate, decision}
	MetricLastRTO          = "roadcall_dr_last_rto_seconds"         // gauge {platform, stage, scenario}
	MetricLastRPO          = "roadcall_dr_last_rpo_seconds"         // gauge {platform, stage, scenario}
	MetricReadinessFailing = "roadcall_dr_readiness_checks_failing" // gauge {platform, stage, check}: failing rows of the check in the latest ReadinessCheck

	TagScenario = "scenario"
	TagOutcome  = "outcome"
	TagStep     = "step"
	TagGate     = "gate"
	TagDecision = "decision"
	TagPlatform = "platform"
	TagStage    = "stage"
	TagCheck    = "check"
)

// metricStarted counts a run that passed validation and registered its handlers.
func (r *run) metricStarted() {
	workflow.GetMetricsHandler(r.ctx).WithTags(map[string]string{TagScenario: r.scenario.Workflow}).Counter(MetricRunsStarted).Inc(1)
}

// metricFinished counts a run's end by its final phase.
func (r *run) metricFinished(phase string) {
	workflow.GetMetricsHandler(r.ctx).WithTags(map[string]string{TagScenario: r.scenario.Workflow, TagOutcome: phase}).Counter(MetricRunsFinished).Inc(1)
}

// metricStep times a timeline row from its start to its end, retries included.
func (r *run) metricStep(ctx workflow.Context, rec StepRecord) {
	name, _, _ := strings.Cut(rec.Name, ":")
	workflow.GetMetricsHandler(ctx).WithTags(map[string]string{TagScenario: r.scenario.Workflow, TagStep: name, TagOutcome: rec.Outcome}).
		Timer(MetricStepDuration).Record(rec.Ended.Sub(rec.Started))
}

// metricGate times a gate from its request to its resolution. decision is approve, reject or timeout, or
// auto, deadline (approved by the gate's own deadline) or cancelled.
func (r *run) metricGate(gate string, requested time.Time, ap Approval, err error) {
	decision := ap.Decision
	switch {
	case err != nil && !errors.Is(err, errAborted):
		decision = "cancelled"
	case ap.Approver == "auto" || ap.Approver == "deadline":
		decision = ap.Approver
	case decision == "":
		decision = "none"
	}
	workflow.GetMetricsHandler(r.ctx).WithTags(map[string]string{TagScenario: r.scenario.Workflow, TagGate: gate, TagDecision: decision}).
		Timer(MetricGateWait).Record(workflow.Now(r.ctx).Sub(requested))
}

func (r *run) platformTags() map[string]string {
	t := r.common.Topology
	return map[string]string{TagPlatform: t.Platform, TagStage: t.Stage, TagScenario: r.scenario.Workflow}
}

// metricRTO records the RTO a run achieved; zero (never validated) leaves the last one standing.
func (r *run) metricRTO(rto time.Duration) {
	if rto > 0 {
		workflow.GetMetricsHandler(r.ctx).WithTags(r.platformTags()).Gauge(MetricLastRTO).Update(rto.Seconds())
	}
}

// metricRPO records the RPO of a recovery that restored service (RTO measured) and could vouch for its
// RPO; otherwise the last one stands.
func (r *run) metricRPO(rec Recovery) {
	if rec.RPOKnown && rec.RTO > 0 {
		workflow.GetMetricsHandler(r.ctx).WithTags(r.platformTags()).Gauge(MetricLastRPO).Update(rec.RPO.Seconds())
	}
}

// metricReadiness sets, for every check the run made, how many of its rows failed, so a check that
// passes again drops back to zero. Checks are visited in row order: no map iteration in workflow code.
func (r *run) metricReadiness(rows []CheckRow) {
	var order []string
	failing := map[string]int{}
	for _, row := range rows {
		if _, seen := failing[row.Check]; !seen {
			order = append(order, row.Check)
			failing[row.Check] = 0
		}
		if row.Status == Fail {
			failing[row.Check]++
		}
	}
	t := r.common.Topology
	h := workflow.GetMetricsHandler(r.ctx)
	for _, check := range order {
		h.WithTags(map[string]string{TagPlatform: t.Platform, TagStage: t.Stage, TagCheck: check}).Gauge(MetricReadinessFailing).Update(float64(failing[check]))
	}
}
