package activities

import (
	"context"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/testsuite"

	"github.com/roadcall/dr/internal/awsclient"
	"github.com/roadcall/dr/internal/awssim"
	"github.com/roadcall/dr/internal/topology"
)

// capacitySim is an in-process awssim where operations finish on the next read.
func capacitySim(t *testing.T) (*awssim.Server, *Activities, topology.Topology) {
	t.Helper()
	topo, err := topology.Load("../examples/roadcall-local.json")
	require.NoError(t, err)
	sim := awssim.New(topo, awssim.Options{TimeScale: 0})
	hs := httptest.NewServer(sim)
	t.Cleanup(hs.Close)
	f, err := awsclient.New(context.Background(), awsclient.Static(hs.URL))
	require.NoError(t, err)
	acts := New(f)
	acts.PollInterval = time.Millisecond
	return sim, acts, topo
}

// changes returns the journal entries of one operation, split by whether they changed anything.
func changes(sim *awssim.Server, op string) (changed, unchanged int) {
	for _, e := range sim.Journal() {
		if e.Operation == op {
			if e.Changed {
				changed++
			} else {
				unchanged++
			}
		}
	}
	return changed, unchanged
}

func nonRetryable(t *testing.T, err error) *temporal.ApplicationError {
	t.Helper()
	var ae *temporal.ApplicationError
	require.ErrorAs(t, err, &ae)
	require.True(t, ae.NonRetryable(), "%v", err)
	return ae
}

func TestFunctionConcurrencyPutIsIdempotentAndDeleteRestoresNone(t *testing.T) {
	sim, acts, topo := capacitySim(t)
	ctx := context.Background()
	ref := ConcurrencyRef{Region: topo.PrimaryRegion, Function: topo.Functions[0].Name}

	before, err := acts.GetFunctionConcurrency(ctx, ref)
	require.NoError(t, err)
	require.Nil(t, before.Reserved, "seeded functions have no reserved concurrency")
	require.Equal(t, "none", before.String())

	set := ConcurrencyChange{Region: ref.Region, Function: ref.Function, Reserved: aws.Int32(500)}
	res, err := acts.PutFunctionConcurrency(ctx, set)
	require.NoError(t, err)
	require.True(t, res.Changed)
	require.Nil(t, res.Previous)
	require.EqualValues(t, 500, *res.Current)
	res, err = acts.PutFunctionConcurrency(ctx, set)
	require.NoError(t, err)
	require.False(t, res.Changed)
	require.EqualValues(t, 500, *res.Previous)
	changed, unchanged := changes(sim, "PutFunctionConcurrency")
	require.Equal(t, [2]int{1, 0}, [2]int{changed, unchanged}, "the second put reads and makes no call")

	// Through the real SDK: AWS's own view agrees.
	out, err := acts.AWS.Lambda(ref.Region).GetFunctionConcurrency(ctx, &lambda.GetFunctionConcurrencyInput{FunctionName: aws.String(ref.Function)})
	require.NoError(t, err)
	require.EqualValues(t, 500, aws.ToInt32(out.ReservedConcurrentExecutions))

	// Restoring "none" is a delete, and a second delete is harmless.
	for i, want := range []bool{true, false} {
		res, err = acts.PutFunctionConcurrency(ctx, ConcurrencyChange{Region: ref.Region, Function: ref.Function})
		require.NoError(t, err, "delete %d", i)
		require.Equal(t, want, res.Changed)
		require.Nil(t, res.Current)
	}
	changed, unchanged = changes(sim, "DeleteFunctionConcurrency")
	require.Equal(t, [2]int{1, 0}, [2]int{changed, unchanged})
	after, err := acts.GetFunctionConcurrency(ctx, ref)
	require.NoError(t, err)
	require.Nil(t, after.Reserved)
}

func TestFunctionConcurrencyRestoresAnExplicitValue(t *testing.T) {
	_, acts, topo := capacitySim(t)
	ctx := context.Background()
	fn := topo.Functions[1].Name
	for _, v := range []int32{50, 500, 50} {
		_, err := acts.PutFunctionConcurrency(ctx, ConcurrencyChange{Region: topo.PrimaryRegion, Function: fn, Reserved: aws.Int32(v)})
		require.NoError(t, err)
	}
	c, err := acts.GetFunctionConcurrency(ctx, ConcurrencyRef{Region: topo.PrimaryRegion, Function: fn})
	require.NoError(t, err)
	require.EqualValues(t, 50, *c.Reserved)
}

func TestFunctionConcurrencyAboveUnreservedFloorIsRefusedWithTheMaximum(t *testing.T) {
	_, acts, topo := capacitySim(t)
	ctx := context.Background()
	region := topo.PrimaryRegion
	_, err := acts.PutFunctionConcurrency(ctx, ConcurrencyChange{Region: region, Function: topo.Functions[0].Name, Reserved: aws.Int32(500)})
	require.NoError(t, err)
	// 1000 in the account, 500 reserved already, 100 kept unreserved: 400 is the most the next function gets.
	_, err = acts.PutFunctionConcurrency(ctx, ConcurrencyChange{Region: region, Function: topo.Functions[1].Name, Reserved: aws.Int32(500)})
	ae := nonRetryable(t, err)
	require.Equal(t, "InvalidParameterValueException", ae.Type())
	for _, want := range []string{topo.Functions[1].Name, region, "refused reserved concurrency 500", "at most 400", "degradation.reservedConcurrency", "quota"} {
		require.Contains(t, ae.Message(), want)
	}
	_, err = acts.PutFunctionConcurrency(ctx, ConcurrencyChange{Region: region, Function: topo.Functions[1].Name, Reserved: aws.Int32(400)})
	require.NoError(t, err, "the figure the message gives is accepted")
}

func TestFunctionConcurrencyUnknownFunctionIsNonRetryable(t *testing.T) {
	_, acts, topo := capacitySim(t)
	_, err := acts.PutFunctionConcurrency(context.Background(), ConcurrencyChange{Region: topo.PrimaryRegion, Function: "no-such-fn", Reserved: aws.Int32(5)})
	ae := nonRetryable(t, err)
	require.Equal(t, "ResourceNotFoundException", ae.Type())
	require.Contains(t, ae.Message(), "no-such-fn")
	require.Contains(t, ae.Message(), topo.PrimaryRegion)
}

func TestFunctionConcurrencyThroughTheActivityEnvironment(t *testing.T) {
	_, acts, topo := capacitySim(t)
	var s testsuite.WorkflowTestSuite
	env := s.NewTestActivityEnvironment()
	env.RegisterActivity(acts)
	v, err := env.ExecuteActivity(acts.PutFunctionConcurrency, ConcurrencyChange{Region: topo.PrimaryRegion, Function: topo.Functions[2].Name, Reserved: aws.Int32(7)})
	require.NoError(t, err)
	var res ConcurrencyResult
	require.NoError(t, v.Get(&res))
	require.True(t, res.Changed)
	require.EqualValues(t, 7, *res.Current)
}

func TestUnreservedFloorFromMessage(t *testing.T) {
	require.EqualValues(t, 100, unreservedFloor("decreases account's UnreservedConcurrentExecution below its minimum value of [100]."))
	require.EqualValues(t, 50, unreservedFloor("below its minimum value of [50]"))
	require.EqualValues(t, 100, unreservedFloor("something else"))
}
