package activities

import (
	"context"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/route53"
	"github.com/stretchr/testify/require"

	"github.com/roadcall/dr/internal/awssim"
)

// TestCheckersHealthyIsTheEighteenPercentRule: "If more than 18% of health checkers report that an endpoint
// is healthy, Route 53 considers it healthy. If 18% of health checkers or fewer report that an endpoint is
// healthy, Route 53 considers it unhealthy" (Route 53 Developer Guide, "How Amazon Route 53 determines
// whether a health check is healthy"), exactly at the boundary and for checker counts other than 16.
func TestCheckersHealthyIsTheEighteenPercentRule(t *testing.T) {
	for _, tc := range []struct {
		success, checkers int
		healthy           bool
	}{
		{3, 16, true}, {2, 16, false}, {16, 16, true}, {0, 16, false},
		{9, 50, false}, {10, 50, true}, // 18 % exactly is unhealthy; 20 % is healthy
		{1, 8, false}, {2, 8, true}, {1, 3, true}, {0, 0, false},
	} {
		require.Equal(t, tc.healthy, CheckersHealthy(tc.success, tc.checkers), "%d of %d", tc.success, tc.checkers)
	}
}

// TestGetHealthCheckStatusFollowsEighteenPercentRule reads GetHealthCheckStatus from awssim with checkers cut
// off from the endpoint (a checker-isolation fault): 3 of 16 checkers healthy is healthy and 2 of 16 is not,
// where a majority rule would have called both down (Route 53 Developer Guide, "How Amazon Route 53
// determines whether a health check is healthy").
func TestGetHealthCheckStatusFollowsEighteenPercentRule(t *testing.T) {
	sim, acts, _ := foSim(t, 0)
	ctx := context.Background()
	const hc = "hc-roadcall-api-us-east-1"
	out, err := acts.AWS.Route53().GetHealthCheckStatus(ctx, &route53.GetHealthCheckStatusInput{HealthCheckId: aws.String(hc)})
	require.NoError(t, err)
	require.Len(t, out.HealthCheckObservations, 16)
	// Every checker of the first six regions and then one by one, by the IP address the status names.
	var cut []string
	for _, o := range out.HealthCheckObservations[:12] {
		if r := string(o.Region); len(cut) == 0 || cut[len(cut)-1] != r {
			cut = append(cut, r)
		}
	}
	ip := func(i int) string { return aws.ToString(out.HealthCheckObservations[i].IPAddress) }
	read := func(checkers ...string) HealthCheckInfo {
		sim.RemoveFault("")
		if len(checkers) > 0 {
			_, err := sim.AddFault(awssim.Fault{Kind: awssim.FaultCheckerIsolation, Resource: hc, Checkers: checkers})
			require.NoError(t, err)
		}
		info, err := acts.GetHealthCheckStatus(ctx, HealthCheckRef{ID: hc})
		require.NoError(t, err)
		return info
	}
	all := read()
	require.Equal(t, []int{16, 16}, []int{all.Success, all.Checkers})
	require.True(t, all.Healthy)

	three := read(append(cut, ip(12))...)
	require.Equal(t, []int{3, 16}, []int{three.Success, three.Checkers})
	require.True(t, three.Healthy, "3 of 16 is 18.75 %: healthy")
	require.Len(t, three.Failures, 3, "the first failures are kept for the report")
	require.Contains(t, three.Failures[0], "us-east-1: Failure: Connection timed out")

	two := read(append(cut, ip(12), ip(13))...)
	require.Equal(t, []int{2, 16}, []int{two.Success, two.Checkers})
	require.False(t, two.Healthy, "2 of 16 is 12.5 %: unhealthy")
}
