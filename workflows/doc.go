// Package workflows holds the DR scenarios as deterministic Temporal workflows: the decisions, the approval
// gates, the operator controls and the timeline. Side effects live in package activities.
//
// Each scenario is three files: <scenario>.go (request, report, the workflow and its order of steps),
// <scenario>_steps.go (the step bodies) and, where it has pure decisions, <scenario>_eval.go. The run
// machinery every scenario shares is in run.go, step.go, gate.go, scenario.go and recovery.go.
package workflows
