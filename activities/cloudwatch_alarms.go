package activities

import (
	"context"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch/types"
)

// AlarmsInput names CloudWatch alarms in one region.
type AlarmsInput struct {
	Region string   `json:"region"`
	Names  []string `json:"names"`
}

// AlarmState is one alarm's state: OK, ALARM, INSUFFICIENT_DATA, or MISSING when no such alarm exists.
type AlarmState struct {
	Name   string `json:"name"`
	State  string `json:"state"`
	Reason string `json:"reason,omitempty"`
}

// AlarmsResult lists the alarms in the order asked.
type AlarmsResult struct {
	Alarms []AlarmState `json:"alarms"`
}

// AlarmMissing is the state of a named alarm CloudWatch does not know.
const AlarmMissing = "MISSING"

// DescribeAlarms reads the state of metric and composite alarms by name (CloudWatch's data plane in the
// region asked, normally the DR region).
func (a *Activities) DescribeAlarms(ctx context.Context, in AlarmsInput) (AlarmsResult, error) {
	found := map[string]AlarmState{}
	p := cloudwatch.NewDescribeAlarmsPaginator(a.AWS.CloudWatch(in.Region), &cloudwatch.DescribeAlarmsInput{
		AlarmNames: in.Names, AlarmTypes: []types.AlarmType{types.AlarmTypeMetricAlarm, types.AlarmTypeCompositeAlarm}})
	for p.HasMorePages() {
		out, err := p.NextPage(ctx)
		if err != nil {
			return AlarmsResult{}, classify(err, "cloudwatch:DescribeAlarms", "alarms", in.Region)
		}
		for _, m := range out.MetricAlarms {
			found[aws.ToString(m.AlarmName)] = AlarmState{Name: aws.ToString(m.AlarmName), State: string(m.StateValue), Reason: truncateUTF8(aws.ToString(m.StateReason), 200, "…")}
		}
		for _, c := range out.CompositeAlarms {
			found[aws.ToString(c.AlarmName)] = AlarmState{Name: aws.ToString(c.AlarmName), State: string(c.StateValue), Reason: truncateUTF8(aws.ToString(c.StateReason), 200, "…")}
		}
	}
	res := AlarmsResult{Alarms: []AlarmState{}}
	for _, n := range in.Names {
		st, ok := found[n]
		if !ok {
			st = AlarmState{Name: n, State: AlarmMissing}
		}
		res.Alarms = append(res.Alarms, st)
	}
	return res, nil
}
