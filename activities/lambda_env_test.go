package activities

import (
	"context"
	"maps"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/roadcall/dr/internal/awssim"
)

func functionEnv(sim *awssim.Server, region, fn string) map[string]string {
	var env map[string]string
	sim.With(func(w *awssim.World) { env = maps.Clone(w.Regions[region].Functions[fn].Env) })
	return env
}

func TestReadOnlyMergeKeepsOtherVariablesAndRestoresExactly(t *testing.T) {
	sim, acts, topo := restoreSim(t, true)
	ctx := context.Background()
	region, fn := topo.PrimaryRegion, topo.Functions[0].Name
	original := functionEnv(sim, region, fn)
	require.GreaterOrEqual(t, len(original), 3)

	prior, err := acts.GetFunctionEnvironment(ctx, FunctionEnvQuery{Region: region, Function: fn, Keys: []string{"READ_ONLY_MODE"}})
	require.NoError(t, err)
	require.Contains(t, prior.Keys, "READ_ONLY_MODE")
	require.Nil(t, prior.Keys["READ_ONLY_MODE"], "not set before")
	require.Equal(t, len(original), prior.Variables)

	stop := EnvChange{Region: region, Function: fn, Set: map[string]string{"READ_ONLY_MODE": "true"}}
	res, err := acts.UpdateFunctionEnvironment(ctx, stop)
	require.NoError(t, err)
	require.True(t, res.Changed)
	require.Equal(t, []string{"READ_ONLY_MODE"}, res.Keys)
	up, err := acts.WaitFunctionUpdated(ctx, FunctionEnvRef{Region: region, Function: fn})
	require.NoError(t, err)
	require.Equal(t, "Successful", up.Status)
	require.Greater(t, up.Progress.Polls, 1, "the update was InProgress first")

	want := maps.Clone(original)
	want["READ_ONLY_MODE"] = "true"
	require.Equal(t, want, functionEnv(sim, region, fn), "every other variable survives the read-only switch")

	res, err = acts.UpdateFunctionEnvironment(ctx, stop)
	require.NoError(t, err)
	require.False(t, res.Changed)
	require.Len(t, journalOf(sim, "UpdateFunctionConfiguration"), 1, "a merge that changes nothing makes no call")

	// Restoring the recorded prior (absent) removes exactly what was added.
	_, err = acts.UpdateFunctionEnvironment(ctx, EnvChange{Region: region, Function: fn, Unset: []string{"READ_ONLY_MODE"}})
	require.NoError(t, err)
	_, err = acts.WaitFunctionUpdated(ctx, FunctionEnvRef{Region: region, Function: fn})
	require.NoError(t, err)
	require.Equal(t, original, functionEnv(sim, region, fn))
}

func TestReplaceValuesPointsAtRestoredResources(t *testing.T) {
	sim, acts, topo := restoreSim(t, false)
	ctx := context.Background()
	region, fn := topo.PrimaryRegion, topo.Functions[1].Name
	original := functionEnv(sim, region, fn)
	table, cluster := topo.Tables[0].Name, topo.Aurora.PrimaryClusterID

	q, err := acts.GetFunctionEnvironment(ctx, FunctionEnvQuery{Region: region, Function: fn, Values: []string{table, cluster, "nothing-holds-this"}})
	require.NoError(t, err)
	require.Equal(t, map[string][]string{table: {"USERS_TABLE"}, cluster: {"AURORA_CLUSTER"}}, q.Holders)

	res, err := acts.UpdateFunctionEnvironment(ctx, EnvChange{Region: region, Function: fn,
		Replace: map[string]string{table: table + "-restored-202501010000", cluster: cluster + "-restored-202501010000"}})
	require.NoError(t, err)
	require.Equal(t, []string{"AURORA_CLUSTER", "USERS_TABLE"}, res.Keys)
	got := functionEnv(sim, region, fn)
	require.Equal(t, table+"-restored-202501010000", got["USERS_TABLE"])
	require.Equal(t, cluster+"-restored-202501010000", got["AURORA_CLUSTER"])
	for k, v := range original {
		if k != "USERS_TABLE" && k != "AURORA_CLUSTER" {
			require.Equal(t, v, got[k], k)
		}
	}
}

func TestRevisionConflictIsReadAgainAndMerged(t *testing.T) {
	sim, acts, topo := restoreSim(t, false)
	ctx := context.Background()
	region, fn := topo.PrimaryRegion, topo.Functions[2].Name
	_, err := sim.AddFault(awssim.Fault{Kind: awssim.FaultError, Service: "lambda", Operation: "UpdateFunctionConfiguration",
		Code: "PreconditionFailedException", Status: 412, Count: 1})
	require.NoError(t, err)
	res, err := acts.UpdateFunctionEnvironment(ctx, EnvChange{Region: region, Function: fn, Set: map[string]string{"READ_ONLY_MODE": "true"}})
	require.NoError(t, err)
	require.True(t, res.Changed)
	require.Equal(t, "true", functionEnv(sim, region, fn)["READ_ONLY_MODE"])
	require.Equal(t, 1, sim.Faults()[0].Fired)
}

func TestUpdateFunctionEnvironmentMissingFunction(t *testing.T) {
	_, acts, topo := restoreSim(t, false)
	_, err := acts.UpdateFunctionEnvironment(context.Background(), EnvChange{Region: topo.PrimaryRegion, Function: "nope", Set: map[string]string{"A": "b"}})
	require.Equal(t, "ResourceNotFoundException", appErrType(t, err))
	require.ErrorContains(t, err, "nope in "+topo.PrimaryRegion)
}
