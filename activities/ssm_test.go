package activities

import (
	"context"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/roadcall/dr/internal/awssim"
)

func TestPutParameterValueCreatesOverwritesAndSkipsSame(t *testing.T) {
	sim, acts, topo := restoreSim(t, false)
	ctx := context.Background()
	in := ParameterPut{Region: topo.PrimaryRegion, Name: "/roadcall/prod/data-resources", Value: `{"tables":{"a":"a-restored"}}`}
	res, err := acts.PutParameterValue(ctx, in)
	require.NoError(t, err)
	require.True(t, res.Changed)
	require.EqualValues(t, 1, res.Version)
	res, err = acts.PutParameterValue(ctx, in)
	require.NoError(t, err)
	require.False(t, res.Changed)
	require.Len(t, journalOf(sim, "PutParameter"), 1, "the same value makes no call")

	in.Value = `{"tables":{"a":"a-restored-2"}}`
	res, err = acts.PutParameterValue(ctx, in)
	require.NoError(t, err)
	require.True(t, res.Changed)
	require.EqualValues(t, 2, res.Version)
	var got *awssim.Parameter
	sim.With(func(w *awssim.World) { p := *w.Regions[in.Region].Parameters[in.Name]; got = &p })
	require.Equal(t, in.Value, got.Value)
	require.Equal(t, "String", got.Type)
}
