package awssim

import (
	"bytes"
	"context"
	"encoding/json"
	"encoding/xml"
	"fmt"
	"net/http"
	"net/url"
	"sort"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch/types"
	"github.com/stretchr/testify/require"

	"github.com/roadcall/dr/internal/topology"
)

// The shapes are botocore's cloudwatch 2010-08-01 model: DescribeAlarmsInput (AlarmNames at most 100,
// AlarmNamePrefix exclusive with AlarmNames, AlarmTypes omitted = metric alarms only, MaxRecords 1..100,
// NextToken), DescribeAlarmsOutput (MetricAlarms, CompositeAlarms, NextToken), SetAlarmState (errors
// ResourceNotFound 404, InvalidFormat); the paginator (paginators-1.json) pages on NextToken with
// MaxRecords as the limit.

const canary = "roadcall-primary-canary"

func withCanary(t *topology.Topology) { t.WatchAlarms = []string{canary} }

// simAlarm posts to awssim's control API and returns the status and the decoded answer.
func simAlarm(t *testing.T, base string, body any) (int, map[string]any) {
	t.Helper()
	b, _ := json.Marshal(body)
	resp, err := http.Post(base+"/_sim/alarms", "application/json", bytes.NewReader(b))
	require.NoError(t, err)
	defer resp.Body.Close()
	var v map[string]any
	require.NoError(t, json.NewDecoder(resp.Body).Decode(&v))
	return resp.StatusCode, v
}

// TestCloudWatchAlarmsThroughCLI: the AWS CLI (CBOR, a client we did not write) sees the topology's watch
// alarm seeded OK in the DR region, sets it to ALARM with set-alarm-state, and filters by state.
func TestCloudWatchAlarmsThroughCLI(t *testing.T) {
	_, _, u := startWith(t, Options{}, withCanary)
	out := awsCLI(t, u, "cloudwatch", "describe-alarms", "--alarm-names", canary, "--region", "us-west-2")
	ma, _ := out["MetricAlarms"].([]any)
	require.Len(t, ma, 1, "%v", out)
	a := ma[0].(map[string]any)
	require.Equal(t, canary, a["AlarmName"])
	require.Equal(t, "OK", a["StateValue"])
	require.Equal(t, "arn:aws:cloudwatch:us-west-2:123456789012:alarm:"+canary, a["AlarmArn"])
	require.Equal(t, "CloudWatchSynthetics", a["Namespace"])
	require.NotEmpty(t, a["StateUpdatedTimestamp"])

	// The alarm lives in the DR region only.
	out = awsCLI(t, u, "cloudwatch", "describe-alarms", "--alarm-names", canary, "--region", "us-east-1")
	require.Empty(t, out["MetricAlarms"])

	awsCLI(t, u, "cloudwatch", "set-alarm-state", "--alarm-name", canary, "--state-value", "ALARM", "--state-reason", "canary failing", "--region", "us-west-2")
	out = awsCLI(t, u, "cloudwatch", "describe-alarms", "--state-value", "ALARM", "--region", "us-west-2")
	ma, _ = out["MetricAlarms"].([]any)
	require.Len(t, ma, 1, "%v", out)
	require.Equal(t, "canary failing", ma[0].(map[string]any)["StateReason"])

	b, err := awsCLIRaw(t, u, "cloudwatch", "set-alarm-state", "--alarm-name", "nope", "--state-value", "OK", "--state-reason", "x", "--region", "us-west-2")
	require.Error(t, err)
	require.Contains(t, string(b), "(ResourceNotFound)")
	b, err = awsCLIRaw(t, u, "cloudwatch", "describe-alarms", "--max-records", "101", "--region", "us-west-2")
	require.Error(t, err)
	require.Contains(t, string(b), "MaxRecords")
}

// TestCloudWatchDescribeAlarmsPaginatorThroughSDK: the Go SDK (CBOR) pages with its paginator; types,
// names, prefix and state filter; bad input gets the model's codes.
func TestCloudWatchDescribeAlarmsPaginatorThroughSDK(t *testing.T) {
	_, f, u := startWith(t, Options{}, withCanary)
	for i := 0; i < 7; i++ {
		code, v := simAlarm(t, u, AlarmUpdate{Region: "us-west-2", Name: fmt.Sprintf("m-%d", i), State: "INSUFFICIENT_DATA", Type: "MetricAlarm"})
		require.Equal(t, 200, code, "%v", v)
	}
	for _, n := range []string{"c-1", "c-2"} {
		code, v := simAlarm(t, u, AlarmUpdate{Region: "us-west-2", Name: n, State: "ALARM", Type: "CompositeAlarm", Rule: "ALARM(m-1)"})
		require.Equal(t, 200, code, "%v", v)
	}
	c := cloudwatch.NewFromConfig(f.Base, func(o *cloudwatch.Options) { o.Region, o.RetryMaxAttempts = "us-west-2", 1 })
	ctx := context.Background()
	all := func(in *cloudwatch.DescribeAlarmsInput) (names []string, pages int) {
		p := cloudwatch.NewDescribeAlarmsPaginator(c, in)
		for p.HasMorePages() {
			out, err := p.NextPage(ctx)
			require.NoError(t, err)
			pages++
			for _, a := range out.MetricAlarms {
				names = append(names, aws.ToString(a.AlarmName))
			}
			for _, a := range out.CompositeAlarms {
				names = append(names, aws.ToString(a.AlarmName)+"(composite:"+aws.ToString(a.AlarmRule)+")")
			}
		}
		sort.Strings(names)
		return names, pages
	}
	names, pages := all(&cloudwatch.DescribeAlarmsInput{MaxRecords: aws.Int32(3),
		AlarmTypes: []types.AlarmType{types.AlarmTypeMetricAlarm, types.AlarmTypeCompositeAlarm}})
	require.Equal(t, []string{"c-1(composite:ALARM(m-1))", "c-2(composite:ALARM(m-1))", "m-0", "m-1", "m-2", "m-3", "m-4", "m-5", "m-6", canary}, names)
	require.Equal(t, 4, pages, "10 alarms at 3 a page")

	names, _ = all(&cloudwatch.DescribeAlarmsInput{})
	require.Len(t, names, 8, "AlarmTypes omitted: metric alarms only")
	names, _ = all(&cloudwatch.DescribeAlarmsInput{AlarmTypes: []types.AlarmType{types.AlarmTypeCompositeAlarm}, StateValue: types.StateValueAlarm})
	require.Len(t, names, 2)
	names, _ = all(&cloudwatch.DescribeAlarmsInput{AlarmNames: []string{canary, "m-3", "missing"}})
	require.Equal(t, []string{"m-3", canary}, names)
	names, _ = all(&cloudwatch.DescribeAlarmsInput{AlarmNamePrefix: aws.String("m-")})
	require.Len(t, names, 7)

	_, err := c.DescribeAlarms(ctx, &cloudwatch.DescribeAlarmsInput{MaxRecords: aws.Int32(101)})
	require.Equal(t, "InvalidParameterValue", cwCode(t, err))
	_, err = c.DescribeAlarms(ctx, &cloudwatch.DescribeAlarmsInput{NextToken: aws.String("bogus")})
	require.Equal(t, "InvalidNextToken", cwCode(t, err))
	_, err = c.DescribeAlarms(ctx, &cloudwatch.DescribeAlarmsInput{AlarmNames: []string{canary}, AlarmNamePrefix: aws.String("m")})
	require.Equal(t, "InvalidParameterCombination", cwCode(t, err))
	_, err = c.DescribeAlarms(ctx, &cloudwatch.DescribeAlarmsInput{AlarmNames: make([]string, 101)})
	require.Equal(t, "InvalidParameterValue", cwCode(t, err))

	_, err = c.SetAlarmState(ctx, &cloudwatch.SetAlarmStateInput{AlarmName: aws.String(canary), StateValue: types.StateValueAlarm,
		StateReason: aws.String("x"), StateReasonData: aws.String("{not json")})
	require.Equal(t, "InvalidFormat", cwCode(t, err))
	_, err = c.SetAlarmState(ctx, &cloudwatch.SetAlarmStateInput{AlarmName: aws.String(canary), StateValue: types.StateValueAlarm, StateReason: aws.String("x")})
	require.NoError(t, err)
	out, err := c.DescribeAlarms(ctx, &cloudwatch.DescribeAlarmsInput{AlarmNames: []string{canary}})
	require.NoError(t, err)
	require.Equal(t, types.StateValueAlarm, out.MetricAlarms[0].StateValue)
}

// TestCloudWatchDescribeAlarmsQueryProtocol: older clients' awsQuery form gets DescribeAlarmsResult XML.
func TestCloudWatchDescribeAlarmsQueryProtocol(t *testing.T) {
	_, _, u := start(t, Options{})
	code, v := simAlarm(t, u, AlarmUpdate{Region: "us-east-1", Name: "q-1", State: "ALARM", Type: "MetricAlarm"})
	require.Equal(t, 200, code, "%v", v)
	form := url.Values{"Action": {"DescribeAlarms"}, "Version": {"2010-08-01"}, "AlarmNames.member.1": {"q-1"}, "MaxRecords": {"1"}}
	resp, body := cwPost(t, u, map[string]string{"Content-Type": "application/x-www-form-urlencoded"}, form.Encode())
	require.Equal(t, 200, resp.StatusCode, "%s", body)
	var got struct {
		XMLName xml.Name `xml:"http://monitoring.amazonaws.com/doc/2010-08-01/ DescribeAlarmsResponse"`
		Alarms  []struct {
			Name  string `xml:"AlarmName"`
			State string `xml:"StateValue"`
		} `xml:"DescribeAlarmsResult>MetricAlarms>member"`
		NextToken string `xml:"DescribeAlarmsResult>NextToken"`
	}
	require.NoError(t, xml.Unmarshal(body, &got), "%s", body)
	require.Len(t, got.Alarms, 1, "%s", body)
	require.Equal(t, "ALARM", got.Alarms[0].State)
	require.Empty(t, got.NextToken)
}

// TestSimAlarmsControlAPI: POST /_sim/alarms refuses an unknown region, state or type with 400 naming the
// field, and an alarm the region does not have with 404.
func TestSimAlarmsControlAPI(t *testing.T) {
	_, _, u := startWith(t, Options{}, withCanary)
	for _, c := range []struct {
		body  any
		code  int
		field string
	}{
		{AlarmUpdate{Region: "eu-west-1", Name: canary, State: "ALARM"}, 400, "region:"},
		{AlarmUpdate{Region: "us-west-2", Name: canary, State: "RED"}, 400, "state:"},
		{AlarmUpdate{Region: "us-west-2", Name: "", State: "OK"}, 400, "name:"},
		{AlarmUpdate{Region: "us-west-2", Name: "x", State: "OK", Type: "Anomaly"}, 400, "type:"},
		{AlarmUpdate{Region: "us-east-1", Name: canary, State: "ALARM"}, 404, "name:"},
		{map[string]any{"region": "us-west-2", "name": canary, "state": "ALARM", "colour": "red"}, 400, "unknown field"},
	} {
		code, v := simAlarm(t, u, c.body)
		require.Equal(t, c.code, code, "%+v: %v", c.body, v)
		require.True(t, strings.Contains(fmt.Sprint(v["error"]), c.field), "%+v: %v", c.body, v)
	}
	code, v := simAlarm(t, u, AlarmUpdate{Region: "us-west-2", Name: canary, State: "ALARM", Reason: "test"})
	require.Equal(t, 200, code, "%v", v)
	require.Equal(t, "ALARM", v["state"])
}
