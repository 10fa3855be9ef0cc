package workflows

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/workflow"
)

// A point-in-time restore drops the source's stream, TTL, tags, auto scaling and PITR settings
// (RestoreTableToPointInTime's API reference, "You must manually set up the following on the restored
// table"), and an Aurora restore takes its parameter groups from the request. Under restore-settings each
// restored table gets CarryTableSettings and the restored cluster's writer is shaped from the source's.
func TestCorruptionRestoreCarriesSourceSettings(t *testing.T) {
	f := newCorruptionFake(t)
	f.approve(time.Minute, GateRestorePoint, "approve", "")
	f.approve(time.Hour+time.Minute, GateCutover, "approve", "")
	rep := f.run(corrRequest(t))
	require.Equal(t, PhaseCompleted, rep.Outcome, "%s %v", rep.Message, rep.Notes)

	var tables []string
	for _, c := range f.carried {
		require.Equal(t, c.Source+"-restored-202506011425", c.Target)
		tables = append(tables, c.Source)
	}
	require.ElementsMatch(t, []string{"roadcall-users-prod", "roadcall-incidents-prod"}, tables, "one carry per restored table")
	require.Len(t, f.writers, 1)
	require.Equal(t, "roadcall-aurora-prod", f.writers[0].SourceCluster, "the writer is shaped from the source cluster's writer")
	for _, res := range rep.Restored {
		require.NotEmpty(t, res.Settings, "%s reports the settings carried", res.Target)
		if res.Kind == "dynamodb-table" {
			require.Equal(t, "StreamSpecification", res.Settings[0].Name)
		} else {
			require.Equal(t, "DBInstanceClass", res.Settings[len(res.Settings)-1].Name)
		}
	}
}

// Runs that started before restore-settings keep their command sequence: no CarryTableSettings, and the
// writer created with the topology's class alone (the golden histories replay this branch).
func TestCorruptionBeforeRestoreSettingsCarriesNothing(t *testing.T) {
	f := newCorruptionFake(t)
	f.env.OnGetVersion(string(restoreSettings), workflow.DefaultVersion, 1).Return(workflow.DefaultVersion)
	f.approve(time.Minute, GateRestorePoint, "approve", "")
	f.approve(time.Hour+time.Minute, GateCutover, "approve", "")
	rep := f.run(corrRequest(t))
	require.Equal(t, PhaseCompleted, rep.Outcome, "%s %v", rep.Message, rep.Notes)
	require.Empty(t, f.carried)
	require.Len(t, f.writers, 1)
	require.Empty(t, f.writers[0].SourceCluster)
	require.Equal(t, localTopology(t).Aurora.InstanceClass, f.writers[0].Class)
	for _, res := range rep.Restored {
		require.Empty(t, res.Settings, res.Target)
	}
}
