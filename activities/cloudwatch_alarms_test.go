package activities

import (
	"context"
	"fmt"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/roadcall/dr/internal/awssim"
	"github.com/roadcall/dr/internal/iam"
)

// DescribeAlarms against awssim: 55 metric alarms and a composite one asked by name come back in the order
// asked across the paginator's two pages (CloudWatch answers 50 a page), an unknown name as MISSING;
// reading twice journals nothing; a policy without cloudwatch:DescribeAlarms is AccessDenied, not retried.
func TestDescribeAlarmsPagesAndKeepsTheOrderAsked(t *testing.T) {
	sim, acts, topo := capacitySim(t)
	var names []string
	for i := 0; i < 55; i++ {
		n := fmt.Sprintf("canary-%02d", i)
		state := "OK"
		if i == 52 {
			state = "ALARM"
		}
		_, err := sim.SetAlarm(awssim.AlarmUpdate{Region: topo.DRRegion, Name: n, State: state, Reason: "r " + n, Type: "MetricAlarm"})
		require.NoError(t, err)
		names = append(names, n)
	}
	_, err := sim.SetAlarm(awssim.AlarmUpdate{Region: topo.DRRegion, Name: "primary-composite", State: "INSUFFICIENT_DATA", Type: "CompositeAlarm"})
	require.NoError(t, err)
	ask := append([]string{"missing", "primary-composite"}, names...)
	ctx := context.Background()
	res, err := acts.DescribeAlarms(ctx, AlarmsInput{Region: topo.DRRegion, Names: ask})
	require.NoError(t, err)
	require.Len(t, res.Alarms, len(ask))
	pages := 0
	for _, r := range sim.Requests(0) {
		if r.Operation == "DescribeAlarms" {
			pages++
		}
	}
	require.Equal(t, 2, pages, "56 alarms found at 50 a page")
	for i, a := range res.Alarms {
		require.Equal(t, ask[i], a.Name)
	}
	require.Equal(t, AlarmMissing, res.Alarms[0].State)
	require.Equal(t, "INSUFFICIENT_DATA", res.Alarms[1].State)
	require.Equal(t, "ALARM", res.Alarms[2+52].State)
	require.Equal(t, "r canary-52", res.Alarms[2+52].Reason)
	require.Equal(t, "OK", res.Alarms[2+54].State, "an alarm on the second page")
	again, err := acts.DescribeAlarms(ctx, AlarmsInput{Region: topo.DRRegion, Names: ask})
	require.NoError(t, err)
	require.Equal(t, res, again)
	require.Empty(t, sim.Journal())

	// In the primary region none of them exist.
	res, err = acts.DescribeAlarms(ctx, AlarmsInput{Region: topo.PrimaryRegion, Names: names[:2]})
	require.NoError(t, err)
	require.Equal(t, AlarmMissing, res.Alarms[1].State)

	// Under the printed policy of a topology that names the alarm it is allowed; without its statement,
	// CloudWatch's AccessDenied (awsQueryCompatible code) is not retried.
	watching := topo
	watching.WatchAlarms = names[:1]
	doc := iam.PolicyFor(watching)
	sim.SetEnforcePolicy(&doc)
	_, err = acts.DescribeAlarms(ctx, AlarmsInput{Region: topo.DRRegion, Names: names[:1]})
	require.NoError(t, err)
	// The statement is scoped to the topology's alarms: another alarm's name is denied.
	_, err = acts.DescribeAlarms(ctx, AlarmsInput{Region: topo.DRRegion, Names: names[1:2]})
	require.Equal(t, "AccessDenied", nonRetryable(t, err).Type())
	require.Contains(t, err.Error(), "alarm:"+names[1])
	less := doc.Without("WatchAlarms")
	sim.SetEnforcePolicy(&less)
	_, err = acts.DescribeAlarms(ctx, AlarmsInput{Region: topo.DRRegion, Names: names[:1]})
	require.Equal(t, "AccessDenied", nonRetryable(t, err).Type())
}
