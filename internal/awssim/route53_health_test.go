package awssim

import (
	"bytes"
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/route53"
	"github.com/stretchr/testify/require"
)

// isolate replaces the active faults with one checker-isolation fault on the primary's HTTPS check, posted
// through the control API as an operator would.
func isolate(t *testing.T, sim *Server, base string, checkers ...string) {
	t.Helper()
	sim.RemoveFault("")
	body := `{"kind":"checker-isolation","resource":"hc-roadcall-api-us-east-1","checkers":["` + strings.Join(checkers, `","`) + `"]}`
	resp, err := http.Post(base+"/_sim/faults", "application/json", bytes.NewBufferString(body))
	require.NoError(t, err)
	resp.Body.Close()
	require.Equal(t, http.StatusCreated, resp.StatusCode, body)
}

// TestHealthCheckEighteenPercentRule: "If more than 18% of health checkers report that an endpoint is
// healthy, Route 53 considers it healthy. If 18% of health checkers or fewer report that an endpoint is
// healthy, Route 53 considers it unhealthy" (Route 53 Developer Guide, "How Amazon Route 53 determines
// whether a health check is healthy"). With 16 checkers, 3 reaching the endpoint (18.75 %) keep it healthy
// and the failover record on PRIMARY; 2 (12.5 %) make it unhealthy and DNS fails over. GetHealthCheckStatus
// shows each checker's own view; the verdict is the rule's, in resolution and in the world's state.
func TestHealthCheckEighteenPercentRule(t *testing.T) {
	sim, f, u := startWith(t, Options{}, healthChecked)
	ctx := context.Background()
	name := sim.Topology().DNS.RecordName
	const hc = "hc-roadcall-api-us-east-1"
	success := func() (ok, total int) {
		out, err := f.Route53().GetHealthCheckStatus(ctx, &route53.GetHealthCheckStatusInput{HealthCheckId: aws.String(hc)})
		require.NoError(t, err)
		for _, o := range out.HealthCheckObservations {
			if strings.HasPrefix(aws.ToString(o.StatusReport.Status), "Success") {
				ok++
			} else {
				require.Contains(t, aws.ToString(o.StatusReport.Status), "Connection timed out", "an isolated checker times out")
			}
		}
		return ok, len(out.HealthCheckObservations)
	}
	verdict := func() bool {
		var healthy bool
		sim.With(func(w *World) { healthy = w.HealthChecks[hc].Healthy })
		return healthy
	}

	ok, total := success()
	require.Equal(t, []int{16, 16}, []int{ok, total}, "two checkers in each of the eight checker regions")

	// Six whole regions and one checker of a seventh cannot reach us-east-1's endpoint: 3 of 16 can.
	cut := append([]string{}, r53CheckerRegions[:6]...)
	cut = append(cut, r53Checkers[12].IP)
	isolate(t, sim, u, cut...)
	ok, total = success()
	require.Equal(t, []int{3, 16}, []int{ok, total})
	require.True(t, checkersHealthy(ok, total))
	require.True(t, verdict(), "3 of 16 is 18.75 %, more than 18 %: healthy")
	a := resolve(t, u, name)
	require.Equal(t, "us-east-1", a.Region, a.Reason)
	require.Contains(t, a.Reason, "3 of 16 checkers reach the endpoint, more than 18 %")

	// One more checker cut off: 2 of 16.
	isolate(t, sim, u, append(cut, r53Checkers[13].IP)...)
	ok, total = success()
	require.Equal(t, []int{2, 16}, []int{ok, total})
	require.False(t, checkersHealthy(ok, total))
	require.False(t, verdict(), "2 of 16 is 12.5 %, 18 % or fewer: unhealthy")
	a = resolve(t, u, name)
	require.Equal(t, "us-west-2", a.Region, a.Reason)
	require.Contains(t, a.Reason, "2 of 16 checkers reach the endpoint, 18 % or fewer")

	// A majority down is not an outage: 9 of 16 cut off still leaves the endpoint healthy.
	isolate(t, sim, u, "us-east-1", "us-west-1", "us-west-2", "eu-west-1", r53Checkers[8].IP)
	require.True(t, verdict())
	sim.RemoveFault("")
	require.True(t, verdict())
	require.Equal(t, "us-east-1", resolve(t, u, name).Region)
}

// TestCheckerIsolationFaultRefusals: the fault names checkers as GetHealthCheckStatus does and an endpoint
// the checkers probe; RECOVERY_CONTROL checks are not probed by any checker.
func TestCheckerIsolationFaultRefusals(t *testing.T) {
	sim, _, _ := start(t, Options{})
	for _, tc := range []struct {
		f    Fault
		want string
	}{
		{Fault{Kind: FaultCheckerIsolation}, "checkers: name the checker regions"},
		{Fault{Kind: FaultCheckerIsolation, Checkers: []string{"mars-north-1"}}, `"mars-north-1" is neither a health checker region`},
		{Fault{Kind: FaultCheckerIsolation, Checkers: []string{"us-east-1"}, Region: "eu-central-1"}, "not a region of this world"},
		{Fault{Kind: FaultCheckerIsolation, Checkers: []string{"us-east-1"}, Resource: "hc-nope"}, "not a health check of this world"},
		{Fault{Kind: FaultCheckerIsolation, Checkers: []string{"us-east-1"}, Resource: "hc-roadcall-rc-us-east-1"}, "RECOVERY_CONTROL health check, which no checker probes"},
	} {
		_, err := sim.AddFault(tc.f)
		require.ErrorContains(t, err, tc.want)
	}
	_, err := sim.AddFault(Fault{Kind: FaultCheckerIsolation, Checkers: []string{"sa-east-1"}, Region: "us-west-2"})
	require.NoError(t, err)
}
