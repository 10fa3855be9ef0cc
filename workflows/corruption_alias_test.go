package workflows

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/workflow"

	"github.com/roadcall/dr/activities"
)

const aliasFn = "roadcall-incident-svc-prod"

// A published version's configuration is immutable (Lambda Developer Guide, "Manage Lambda function
// versions"), so under lambda-aliases each environment change to a function the API invokes through an
// alias is published and the alias moved: the stop (READ_ONLY_MODE=true), the cutover (the restored names,
// still read-only) and the resume. After a cutover the alias's old version names the corrupted resources,
// so the resume publishes $LATEST and says why the previous routing is not restored.
func TestCorruptionAliasBackedFunctionStopsCutsOverAndResumesThroughTheAlias(t *testing.T) {
	f := newCorruptionFake(t)
	f.approve(time.Minute, GateRestorePoint, "approve", "")
	f.approve(time.Hour+time.Minute, GateCutover, "approve", "")
	rep := f.run(corrRequest(t))
	require.Equal(t, PhaseCompleted, rep.Outcome, "%s %v", rep.Message, rep.Notes)

	require.Len(t, f.published, 3)
	for _, p := range f.published {
		require.Equal(t, aliasFn, p.Function, "only the alias-backed function publishes")
	}
	require.Equal(t, "1", f.published[0].Like, "the stop publishes version 1 + READ_ONLY_MODE, nothing else")
	require.Equal(t, map[string]string{ReadOnlyVar: "true"}, f.published[0].Change.Set)
	require.Equal(t, "2", f.published[1].Like, "the cutover publishes the read-only version + the restored names")
	require.Equal(t, "roadcall-users-prod-restored-202506011425", f.published[1].Change.Replace["roadcall-users-prod"])
	require.Equal(t, "3", f.published[2].Like)
	require.Equal(t, []string{ReadOnlyVar}, f.published[2].Change.Unset)
	var moved []string
	for _, m := range f.moves {
		require.Equal(t, "live", m.Alias)
		moved = append(moved, aliasTargetText(m.Target))
	}
	require.Equal(t, []string{"version 2", "version 3", "version 4"}, moved)

	var ws WriteStop
	for _, w := range rep.WriteStops {
		if w.Resource == aliasFn {
			ws = w
		} else {
			require.Nil(t, w.Alias, w.Resource)
		}
	}
	require.Equal(t, &AliasStop{Name: "live", Prior: activities.AliasTarget{Version: "1"}, Serving: "4", Resumed: &activities.AliasTarget{Version: "4"}}, ws.Alias)
	require.True(t, ws.Resumed)
	require.Equal(t, "alias live → version 1, READ_ONLY_MODE not set in $LATEST", ws.Previous())
	require.Contains(t, rep.Notes, "roadcall-incident-svc-prod: alias live now serves version 4 ($LATEST with the cutover's environment and READ_ONLY_MODE as before the stop); it pointed at version 1 before the stop, which names the corrupted resources, so that routing was not restored")
}

// With no cutover, the resume points the alias back exactly where it was before the stop, weights included:
// the version (and canary) the application ran then.
func TestCorruptionResumeWithoutCutoverPutsTheAliasBackExactly(t *testing.T) {
	f := newCorruptionFake(t)
	canary := activities.AliasTarget{Version: "1", Weights: map[string]float64{"2": 0.1}}
	f.aliases[aliasFn], f.versions[aliasFn] = canary, 2
	f.approve(time.Minute, GateRestorePoint, "approve", "")
	f.approve(time.Hour, GateCutover, "reject", "")
	f.approve(time.Hour+time.Minute, GateResumeWrites, "approve", "")
	rep := f.run(corrRequest(t))
	require.Equal(t, PhaseAborted, rep.Outcome)
	require.False(t, rep.WritesStopped)

	require.Len(t, f.published, 1, "the stop's version only")
	require.Equal(t, "1", f.published[0].Like)
	require.Len(t, f.moves, 2)
	require.Equal(t, activities.AliasTarget{Version: "3"}, f.moves[0].Target, "the stop sends every invocation to the read-only version, the canary's share too")
	require.Equal(t, canary, f.moves[1].Target)
	require.Equal(t, canary, f.aliases[aliasFn])
}

// A stop-writes step retried after a failed publish reads the alias's prior target once, before any change:
// the retry must not take a version of its own for the one to go back to.
func TestCorruptionAliasPriorIsReadOnceAcrossRetries(t *testing.T) {
	f := newCorruptionFake(t)
	f.fail["PublishFunctionVersion"] = 1
	f.env.RegisterDelayedCallback(func() {
		f.env.SignalWorkflow(SignalOperator, OperatorAction{Action: "retry", Step: "stop-writes", Operator: "alice"})
	}, time.Minute)
	f.approve(2*time.Minute, GateRestorePoint, "approve", "")
	f.approve(time.Hour, GateCutover, "reject", "")
	f.approve(time.Hour+time.Minute, GateResumeWrites, "approve", "")
	rep := f.run(corrRequest(t))
	require.Equal(t, PhaseAborted, rep.Outcome, "%s %v", rep.Message, rep.Notes)
	require.Equal(t, 2, stepOf(rep.Steps, "stop-writes").Attempts)
	require.Equal(t, 1, f.count("GetFunctionAlias"))
	require.Equal(t, activities.AliasTarget{Version: "1"}, f.aliases[aliasFn], "back exactly where it was")
}

// Runs recorded before lambda-aliases write $LATEST alone (the golden histories replay this branch).
func TestCorruptionBeforeLambdaAliasesWritesLatestOnly(t *testing.T) {
	f := newCorruptionFake(t)
	f.env.OnGetVersion(string(lambdaAliases), workflow.DefaultVersion, 1).Return(workflow.DefaultVersion)
	f.approve(time.Minute, GateRestorePoint, "approve", "")
	f.approve(time.Hour+time.Minute, GateCutover, "approve", "")
	rep := f.run(corrRequest(t))
	require.Equal(t, PhaseCompleted, rep.Outcome)
	require.Empty(t, f.published)
	require.Empty(t, f.moves)
	for _, w := range rep.WriteStops {
		require.Nil(t, w.Alias)
	}
	require.Len(t, f.envCallsFor(aliasFn), 3)
}
