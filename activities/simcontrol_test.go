package activities

import (
	"context"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/stretchr/testify/require"

	"github.com/roadcall/dr/internal/awsclient"
	"github.com/roadcall/dr/internal/awssim"
)

func TestInjectAndLiftOutageAreIdempotent(t *testing.T) {
	sim, acts, topo := restoreSim(t, false)
	ctx := context.Background()
	info, err := acts.DetectSimulator(ctx)
	require.NoError(t, err)
	require.True(t, info.Simulator, info.Reason)

	in := SimOutageInput{Region: topo.PrimaryRegion}
	res, err := acts.InjectRegionOutage(ctx, in)
	require.NoError(t, err)
	require.True(t, res.Changed)
	again, err := acts.InjectRegionOutage(ctx, in)
	require.NoError(t, err)
	require.False(t, again.Changed)
	require.Equal(t, res.FaultIDs, again.FaultIDs)
	require.Len(t, sim.Faults(), 1, "adding the outage twice leaves one fault")

	// The outage is real for the SDK: the primary region no longer answers.
	r, err := acts.ProbeRegion(ctx, ProbeInput{Region: topo.PrimaryRegion})
	require.NoError(t, err)
	require.False(t, r.Reachable)

	// Other faults are left alone by the lift.
	_, err = sim.AddFault(awssim.Fault{Kind: awssim.FaultReplicationLag, Seconds: 2})
	require.NoError(t, err)
	res, err = acts.LiftRegionOutage(ctx, in)
	require.NoError(t, err)
	require.True(t, res.Changed)
	res, err = acts.LiftRegionOutage(ctx, in)
	require.NoError(t, err)
	require.False(t, res.Changed)
	left := sim.Faults()
	require.Len(t, left, 1)
	require.Equal(t, awssim.FaultReplicationLag, left[0].Kind)
}

func TestInjectRefusesWhatIsNotAnAwssim(t *testing.T) {
	ctx := context.Background()
	// LocalStack, a proxy or a typo: something answers, but not the control API.
	other := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html")
		w.WriteHeader(http.StatusNotFound)
		_, _ = w.Write([]byte("<html>not found</html>"))
	}))
	t.Cleanup(other.Close)
	f, err := awsclient.New(ctx, awsclient.Static(other.URL))
	require.NoError(t, err)
	acts := New(f)
	_, err = acts.InjectRegionOutage(ctx, SimOutageInput{Region: "us-east-1"})
	require.Equal(t, ErrNotSimulator, appErrType(t, err))
	require.ErrorContains(t, err, "not an awssim")
	require.ErrorContains(t, err, "planned mode")
	info, err := acts.DetectSimulator(ctx)
	require.NoError(t, err)
	require.False(t, info.Simulator)

	// Real AWS: no custom endpoint at all.
	real, err := awsclient.New(ctx, awsclient.Options{StaticCredentials: &aws.Credentials{AccessKeyID: "x", SecretAccessKey: "y"}})
	require.NoError(t, err)
	real.Base.BaseEndpoint = nil
	acts = New(real)
	_, err = acts.InjectRegionOutage(ctx, SimOutageInput{Region: "us-east-1"})
	require.Equal(t, ErrNotSimulator, appErrType(t, err))
	require.ErrorContains(t, err, "real AWS")
	_, err = acts.LiftRegionOutage(ctx, SimOutageInput{Region: "us-east-1"})
	require.Equal(t, ErrNotSimulator, appErrType(t, err))
	info, err = acts.DetectSimulator(ctx)
	require.NoError(t, err)
	require.False(t, info.Simulator)
}

func TestInjectRejectedFaultIsNotCalledNotSimulator(t *testing.T) {
	_, acts, _ := restoreSim(t, false)
	_, err := acts.InjectRegionOutage(context.Background(), SimOutageInput{Region: "eu-west-9"})
	require.Equal(t, "SimFaultRejected", appErrType(t, err))
	require.ErrorContains(t, err, "eu-west-9")
}
