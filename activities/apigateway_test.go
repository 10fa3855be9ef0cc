package activities

import (
	"context"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/roadcall/dr/internal/awssim"
)

func stageSettings(sim *awssim.Server, region, api, stage string) map[string]awssim.MethodSetting {
	out := map[string]awssim.MethodSetting{}
	sim.With(func(w *awssim.World) {
		for k, ms := range w.Regions[region].RestAPIs[api].Stages[stage].MethodSettings {
			out[k] = *ms
		}
	})
	return out
}

func TestStageThrottleStopAndRestoreExactly(t *testing.T) {
	sim, acts, topo := restoreSim(t, false)
	ctx := context.Background()
	ref := APIStageRef{Region: topo.PrimaryRegion, RestAPIID: topo.API.RestAPIIDs[topo.PrimaryRegion], Stage: topo.API.Stage}
	before := stageSettings(sim, ref.Region, ref.RestAPIID, ref.Stage)

	prev, err := acts.GetStageThrottling(ctx, ref)
	require.NoError(t, err)
	require.Equal(t, StageThrottle{Set: true, RateLimit: 10000, BurstLimit: 5000}, prev)

	stop := StageThrottleChange{APIStageRef: ref, Target: StageThrottle{Set: true}}
	res, err := acts.SetStageThrottling(ctx, stop)
	require.NoError(t, err)
	require.True(t, res.Changed)
	require.Equal(t, prev, res.Previous)
	got := stageSettings(sim, ref.Region, ref.RestAPIID, ref.Stage)["*/*"]
	require.Zero(t, got.ThrottlingRateLimit)
	require.Zero(t, got.ThrottlingBurstLimit)
	require.True(t, got.MetricsEnabled, "only the throttling fields are patched")

	res, err = acts.SetStageThrottling(ctx, stop)
	require.NoError(t, err)
	require.False(t, res.Changed)
	require.Len(t, journalOf(sim, "UpdateStage"), 1, "already throttled: no call")

	_, err = acts.SetStageThrottling(ctx, StageThrottleChange{APIStageRef: ref, Target: prev})
	require.NoError(t, err)
	require.Equal(t, before, stageSettings(sim, ref.Region, ref.RestAPIID, ref.Stage))
}

func TestStageThrottleWithoutPriorSettingIsRemovedOnRestore(t *testing.T) {
	sim, acts, topo := restoreSim(t, false)
	ctx := context.Background()
	ref := APIStageRef{Region: topo.PrimaryRegion, RestAPIID: topo.API.RestAPIIDs[topo.PrimaryRegion], Stage: topo.API.Stage}
	sim.With(func(w *awssim.World) {
		w.Regions[ref.Region].RestAPIs[ref.RestAPIID].Stages[ref.Stage].MethodSettings = map[string]*awssim.MethodSetting{}
	})
	prev, err := acts.GetStageThrottling(ctx, ref)
	require.NoError(t, err)
	require.False(t, prev.Set)
	_, err = acts.SetStageThrottling(ctx, StageThrottleChange{APIStageRef: ref, Target: StageThrottle{Set: true}})
	require.NoError(t, err)
	require.Contains(t, stageSettings(sim, ref.Region, ref.RestAPIID, ref.Stage), "*/*")
	res, err := acts.SetStageThrottling(ctx, StageThrottleChange{APIStageRef: ref, Target: prev})
	require.NoError(t, err)
	require.True(t, res.Changed)
	require.Empty(t, stageSettings(sim, ref.Region, ref.RestAPIID, ref.Stage))
}

func TestStageThrottleUnknownAPI(t *testing.T) {
	_, acts, topo := restoreSim(t, false)
	_, err := acts.SetStageThrottling(context.Background(), StageThrottleChange{APIStageRef: APIStageRef{Region: topo.PrimaryRegion, RestAPIID: "nope", Stage: "prod"}})
	require.Equal(t, "NotFoundException", appErrType(t, err))
	require.ErrorContains(t, err, "nope/prod in "+topo.PrimaryRegion)
}
