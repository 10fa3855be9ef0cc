package activities

import (
	"context"
	"maps"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/stretchr/testify/require"

	"github.com/roadcall/dr/internal/awssim"
)

// aliasServes is the environment the alias's version runs and whether awssim's application serves writes
// through it.
func aliasServes(sim *awssim.Server, region, fn, alias string) (version string, env map[string]string, writes bool) {
	sim.With(func(w *awssim.World) {
		f := w.Regions[region].Functions[fn]
		version = f.Aliases[alias].FunctionVersion
		env = maps.Clone(f.Versions[version].Env)
	})
	for _, fw := range sim.Writes()[region] {
		if fw.Function == fn {
			writes = fw.ServesWrites
		}
	}
	return version, env, writes
}

func changedCount(j []awssim.JournalEntry) (changed, unchanged int) {
	for _, e := range j {
		if e.Changed {
			changed++
		} else {
			unchanged++
		}
	}
	return changed, unchanged
}

// Lambda Developer Guide, "Manage Lambda function versions" and "Create an alias": the alias's version is
// immutable, so read-only mode must publish $LATEST with the merged environment and move the alias; the
// revert moves the alias back to the version it pointed at. PublishVersion's CodeSha256 and RevisionId
// preconditions (botocore lambda 2015-03-31) make sure what is published is what was checked; the waits are
// the SDK's FunctionUpdated and PublishedVersionActive. Each step run twice changes nothing the second time.
func TestReadOnlyThroughAliasPublishesMovesAndRevertsExactly(t *testing.T) {
	sim, acts, topo := restoreSim(t, true)
	ctx := context.Background()
	region, fn := topo.PrimaryRegion, topo.Functions[0].Name
	alias := topo.FunctionAlias(fn)
	require.Equal(t, "live", alias, "the local example invokes the incident service through live")
	ref := AliasRef{Region: region, Function: fn, Alias: alias}
	v0, env0, writes := aliasServes(sim, region, fn, alias)
	require.True(t, writes)
	latest0 := functionEnv(sim, region, fn)
	require.Equal(t, latest0, env0)

	prior, err := acts.GetFunctionAlias(ctx, ref)
	require.NoError(t, err)
	require.Equal(t, AliasTarget{Version: v0}, prior.Target)

	var published PublishedVersion
	for round := range 2 {
		_, err := acts.UpdateFunctionEnvironment(ctx, EnvChange{Region: region, Function: fn, Set: map[string]string{"READ_ONLY_MODE": "true"}})
		require.NoError(t, err)
		_, err = acts.WaitFunctionUpdated(ctx, FunctionEnvRef{Region: region, Function: fn})
		require.NoError(t, err)
		// Like is the version recorded before the stop, also on the second round, when the alias has moved.
		published, err = acts.PublishFunctionVersion(ctx, VersionPublish{Region: region, Function: fn, Like: prior.Target.Version,
			Change: EnvChange{Set: map[string]string{"READ_ONLY_MODE": "true"}}})
		require.NoError(t, err)
		up, err := acts.WaitVersionActive(ctx, VersionRef{Region: region, Function: fn, Version: published.Version})
		require.NoError(t, err)
		require.Equal(t, "Active", up.Status)
		if round == 0 {
			require.Greater(t, up.Progress.Polls, 1, "the new version was Pending first")
		}
		mv, err := acts.PointAlias(ctx, AliasMove{AliasRef: ref, Target: AliasTarget{Version: published.Version}})
		require.NoError(t, err)
		require.Equal(t, round == 0, mv.Changed, "round %d", round)
	}
	require.Equal(t, "2", published.Version)
	v, env, writes := aliasServes(sim, region, fn, alias)
	want := maps.Clone(env0)
	want["READ_ONLY_MODE"] = "true"
	require.Equal(t, "2", v)
	require.Equal(t, want, env, "the alias's version has the merged environment: every other variable kept")
	require.False(t, writes, "writes stop for the traffic the API sends through the alias")
	c, u := changedCount(journalOf(sim, "PublishVersion"))
	require.Equal(t, [2]int{1, 1}, [2]int{c, u}, "the second publish found nothing new")
	require.Len(t, journalOf(sim, "UpdateAlias"), 1, "an alias already in place is not updated")

	for range 2 {
		_, err := acts.UpdateFunctionEnvironment(ctx, EnvChange{Region: region, Function: fn, Unset: []string{"READ_ONLY_MODE"}})
		require.NoError(t, err)
		_, err = acts.WaitFunctionUpdated(ctx, FunctionEnvRef{Region: region, Function: fn})
		require.NoError(t, err)
		_, err = acts.PointAlias(ctx, AliasMove{AliasRef: ref, Target: prior.Target})
		require.NoError(t, err)
	}
	v, env, writes = aliasServes(sim, region, fn, alias)
	require.Equal(t, v0, v)
	require.Equal(t, env0, env)
	require.True(t, writes)
	require.Equal(t, latest0, functionEnv(sim, region, fn), "$LATEST's environment is back as it was")
	c, u = changedCount(journalOf(sim, "UpdateAlias"))
	require.Equal(t, [2]int{2, 0}, [2]int{c, u}, "one move out, one back, and no call for the repeat")
}

// A weighted alias (Lambda Developer Guide, "Implement Lambda canary deployments using a weighted alias")
// sends a share of invocations to a second version, which would keep writing: the stop sends everything to
// the read-only version, and the revert restores the weights exactly.
func TestPointAliasClearsAndRestoresWeights(t *testing.T) {
	sim, acts, topo := restoreSim(t, false)
	ctx := context.Background()
	region, fn := topo.PrimaryRegion, topo.Functions[0].Name
	ref := AliasRef{Region: region, Function: fn, Alias: "live"}
	lc := acts.AWS.Lambda(region)
	_, err := lc.UpdateFunctionConfiguration(ctx, &lambda.UpdateFunctionConfigurationInput{FunctionName: aws.String(fn), Timeout: aws.Int32(10)})
	require.NoError(t, err)
	_, err = lc.PublishVersion(ctx, &lambda.PublishVersionInput{FunctionName: aws.String(fn)})
	require.NoError(t, err)
	canary := AliasTarget{Version: "1", Weights: map[string]float64{"2": 0.1}}
	_, err = acts.PointAlias(ctx, AliasMove{AliasRef: ref, Target: canary})
	require.NoError(t, err)

	mv, err := acts.PointAlias(ctx, AliasMove{AliasRef: ref, Target: AliasTarget{Version: "2"}})
	require.NoError(t, err)
	require.True(t, mv.Changed)
	require.Equal(t, canary, mv.Previous)
	got, err := lc.GetAlias(ctx, &lambda.GetAliasInput{FunctionName: aws.String(fn), Name: aws.String("live")})
	require.NoError(t, err)
	require.True(t, got.RoutingConfig == nil || len(got.RoutingConfig.AdditionalVersionWeights) == 0, "%+v", got.RoutingConfig)

	_, err = acts.PointAlias(ctx, AliasMove{AliasRef: ref, Target: mv.Previous})
	require.NoError(t, err)
	st, err := acts.GetFunctionAlias(ctx, ref)
	require.NoError(t, err)
	require.Equal(t, canary, st.Target)
	c, u := changedCount(journalOf(sim, "UpdateAlias"))
	require.Equal(t, [2]int{3, 0}, [2]int{c, u})
}

// $LATEST with a change the alias's version does not have (an undeployed edit) is not published with
// READ_ONLY_MODE: that would release the edit to production. The refusal names what differs, not values.
func TestPublishRefusesALatestThatDivergedFromTheAlias(t *testing.T) {
	sim, acts, topo := restoreSim(t, false)
	ctx := context.Background()
	region, fn := topo.PrimaryRegion, topo.Functions[0].Name
	_, err := acts.UpdateFunctionEnvironment(ctx, EnvChange{Region: region, Function: fn, Set: map[string]string{"LOG_LEVEL": "debug", "READ_ONLY_MODE": "true"}})
	require.NoError(t, err)
	_, err = acts.PublishFunctionVersion(ctx, VersionPublish{Region: region, Function: fn, Like: "1", Change: EnvChange{Set: map[string]string{"READ_ONLY_MODE": "true"}}})
	require.Equal(t, ErrLatestDiverged, appErrType(t, err))
	require.ErrorContains(t, err, "environment LOG_LEVEL")
	require.NotContains(t, err.Error(), "debug", "values stay out of the message")
	require.Empty(t, journalOf(sim, "PublishVersion"))

	_, err = acts.PointAlias(ctx, AliasMove{AliasRef: AliasRef{Region: region, Function: fn, Alias: "blue"}, Target: AliasTarget{Version: "1"}})
	require.Equal(t, "ResourceNotFoundException", appErrType(t, err))
	_, err = acts.WaitVersionActive(ctx, VersionRef{Region: region, Function: fn, Version: "7"})
	require.Equal(t, "ResourceNotFoundException", appErrType(t, err))
}
