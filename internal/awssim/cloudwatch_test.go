package awssim

import (
	"context"
	"encoding/json"
	"encoding/xml"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch/types"
	"github.com/aws/smithy-go"
	"github.com/stretchr/testify/require"

	"github.com/roadcall/dr/internal/awsclient"
	"github.com/roadcall/dr/internal/topology"
)

type cwClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *cwClock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *cwClock) Add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// cwStart serves a simulator on a controlled clock, 30 s into a minute, close to the wall clock so the AWS
// CLI's relative times make sense.
func cwStart(t *testing.T) (*Server, func(region string) *cloudwatch.Client, *cwClock, string) {
	clk := &cwClock{t: time.Now().UTC().Truncate(time.Minute).Add(30 * time.Second)}
	sim, f, u := start(t, Options{Now: clk.Now})
	// One attempt: a dead region must fail the call at once rather than be retried.
	return sim, func(region string) *cloudwatch.Client {
		return cloudwatch.NewFromConfig(f.Base, func(o *cloudwatch.Options) { o.Region, o.RetryMaxAttempts = region, 1 })
	}, clk, u
}

// cwStats runs GetMetricStatistics and returns the datapoints in time order (AWS does not order them).
func cwStats(t *testing.T, c *cloudwatch.Client, ns, metric string, dims map[string]string, from, to time.Time, period int32, stats ...string) []types.Datapoint {
	t.Helper()
	in := &cloudwatch.GetMetricStatisticsInput{Namespace: &ns, MetricName: &metric, StartTime: &from, EndTime: &to, Period: &period}
	for _, k := range SortedKeys(dims) {
		in.Dimensions = append(in.Dimensions, types.Dimension{Name: aws.String(k), Value: aws.String(dims[k])})
	}
	for _, s := range stats {
		if strings.HasPrefix(s, "p") {
			in.ExtendedStatistics = append(in.ExtendedStatistics, s)
		} else {
			in.Statistics = append(in.Statistics, types.Statistic(s))
		}
	}
	out, err := c.GetMetricStatistics(context.Background(), in)
	require.NoError(t, err)
	require.Equal(t, metric, *out.Label)
	sort.Slice(out.Datapoints, func(i, j int) bool { return out.Datapoints[i].Timestamp.Before(*out.Datapoints[j].Timestamp) })
	return out.Datapoints
}

func cwCode(t *testing.T, err error) string {
	t.Helper()
	var ae smithy.APIError
	require.True(t, errors.As(err, &ae), "not an API error: %v", err)
	return ae.ErrorCode()
}

func TestCloudWatchRunbookAuroraLagThroughCLI(t *testing.T) {
	_, _, clk, u := cwStart(t)
	now := clk.Now()
	out := awsCLI(t, u, "cloudwatch", "get-metric-statistics",
		"--namespace", "AWS/RDS", "--metric-name", "AuroraGlobalDBReplicationLag",
		"--dimensions", "Name=DBClusterIdentifier,Value=roadcall-aurora-prod-replica",
		"--start-time", now.Add(-time.Hour).Format(time.RFC3339), "--end-time", now.Format(time.RFC3339),
		"--period", "300", "--statistics", "Average", "--region", "us-west-2")
	require.Equal(t, "AuroraGlobalDBReplicationLag", out["Label"])
	dps := out["Datapoints"].([]any)
	// The start rounds down to the minute, so an hour from hh:mm:30 is thirteen 5-minute periods, the last
	// one partial, as CloudWatch answers.
	require.Len(t, dps, 13)
	for _, d := range dps {
		dp := d.(map[string]any)
		require.Equal(t, "Milliseconds", dp["Unit"])
		avg := dp["Average"].(float64)
		require.Greater(t, avg, 0.0)
		require.Less(t, avg, 1000.0, "the runbook expects lag under a second")
	}

	// Percentiles and the AWS error codes, through a client we did not write.
	out = awsCLI(t, u, "cloudwatch", "get-metric-statistics", "--namespace", "AWS/ApiGateway", "--metric-name", "Latency",
		"--dimensions", "Name=ApiName,Value=roadcall-api-prod", "--start-time", now.Add(-10*time.Minute).Format(time.RFC3339),
		"--end-time", now.Format(time.RFC3339), "--period", "60", "--extended-statistics", "p95", "--region", "us-east-1")
	for _, d := range out["Datapoints"].([]any) {
		p95 := d.(map[string]any)["ExtendedStatistics"].(map[string]any)["p95"].(float64)
		require.Less(t, p95, 300.0)
	}
	raw, err := awsCLIRaw(t, u, "cloudwatch", "get-metric-statistics", "--namespace", "AWS/RDS", "--metric-name", "AuroraGlobalDBReplicationLag",
		"--start-time", now.Format(time.RFC3339), "--end-time", now.Add(-time.Hour).Format(time.RFC3339), "--period", "300",
		"--statistics", "Average", "--region", "us-west-2")
	require.Error(t, err)
	require.Contains(t, string(raw), "InvalidParameterValue")
	require.Contains(t, string(raw), "StartTime must be less than the parameter EndTime")
}

func TestCloudWatchGetMetricStatisticsThroughSDK(t *testing.T) {
	_, cw, clk, _ := cwStart(t)
	now := clk.Now()
	api := map[string]string{"ApiName": "roadcall-api-prod"}
	dps := cwStats(t, cw("us-east-1"), "AWS/ApiGateway", "Latency", api, now.Add(-time.Hour), now, 300,
		"Average", "Sum", "SampleCount", "Minimum", "Maximum", "p50", "p95", "p99")
	require.Len(t, dps, 13)
	first := now.Add(-time.Hour).Truncate(time.Minute)
	for i, d := range dps {
		require.True(t, d.Timestamp.Equal(first.Add(time.Duration(i)*5*time.Minute)), "period starts: %v", d.Timestamp)
		require.Equal(t, types.StandardUnitMilliseconds, d.Unit)
		require.InDelta(t, *d.Sum / *d.SampleCount, *d.Average, 1e-6)
		e := d.ExtendedStatistics
		require.True(t, *d.Minimum <= e["p50"] && e["p50"] <= e["p95"] && e["p95"] <= e["p99"] && e["p99"] <= *d.Maximum, "%v", e)
		require.Less(t, e["p95"], 300.0, "healthy p95 latency is well under the 300 ms objective")
	}
	// The serving region takes the traffic; the other sees only Route 53's health checkers.
	east := cwStats(t, cw("us-east-1"), "AWS/ApiGateway", "Count", api, now.Add(-10*time.Minute), now, 60, "Sum", "SampleCount")
	west := cwStats(t, cw("us-west-2"), "AWS/ApiGateway", "Count", api, now.Add(-10*time.Minute), now, 60, "Sum")
	require.Len(t, east, 11, "ten whole minutes and the current one")
	for i := range east {
		require.Equal(t, *east[i].Sum, *east[i].SampleCount, "Count is one sample per request")
		require.Greater(t, *east[i].Sum, 500.0)
		require.Less(t, *west[i].Sum, 30.0)
	}

	// Same query, same answer: values are a function of resource and time.
	again := cwStats(t, cw("us-east-1"), "AWS/ApiGateway", "Latency", api, now.Add(-time.Hour), now, 300,
		"Average", "Sum", "SampleCount", "Minimum", "Maximum", "p50", "p95", "p99")
	require.Equal(t, dps, again)

	// Dimensions match exactly, as in CloudWatch: S3's metrics need the rule, and a unit must match.
	s3dims := map[string]string{"SourceBucket": "roadcall-call-recordings-prod-123456789012",
		"DestinationBucket": "roadcall-call-recordings-prod-us-west-2-123456789012"}
	require.Empty(t, cwStats(t, cw("us-east-1"), "AWS/S3", "ReplicationLatency", s3dims, now.Add(-time.Hour), now, 300, "Maximum"))
	s3dims["RuleId"] = "replicate-to-us-west-2-0"
	require.Len(t, cwStats(t, cw("us-east-1"), "AWS/S3", "ReplicationLatency", s3dims, now.Add(-time.Hour), now, 300, "Maximum"), 13)
	unit := "Seconds"
	out, err := cw("us-east-1").GetMetricStatistics(context.Background(), &cloudwatch.GetMetricStatisticsInput{
		Namespace: aws.String("AWS/ApiGateway"), MetricName: aws.String("Count"), Dimensions: []types.Dimension{{Name: aws.String("ApiName"), Value: aws.String("roadcall-api-prod")}},
		StartTime: aws.Time(now.Add(-time.Hour)), EndTime: &now, Period: aws.Int32(300), Statistics: []types.Statistic{"Sum"}, Unit: types.StandardUnit(unit)})
	require.NoError(t, err)
	require.Empty(t, out.Datapoints)
}

func TestCloudWatchGetMetricDataThroughSDK(t *testing.T) {
	_, cw, clk, _ := cwStart(t)
	now := clk.Now()
	q := func(id, ns, metric, stat string, period int32, dims ...string) types.MetricDataQuery {
		m := &types.Metric{Namespace: &ns, MetricName: &metric}
		for i := 0; i < len(dims); i += 2 {
			m.Dimensions = append(m.Dimensions, types.Dimension{Name: &dims[i], Value: &dims[i+1]})
		}
		return types.MetricDataQuery{Id: &id, MetricStat: &types.MetricStat{Metric: m, Period: &period, Stat: &stat}}
	}
	in := &cloudwatch.GetMetricDataInput{StartTime: aws.Time(now.Add(-30 * time.Minute)), EndTime: &now, MetricDataQueries: []types.MetricDataQuery{
		q("p95", "AWS/ApiGateway", "Latency", "p95", 300, "ApiName", "roadcall-api-prod"),
		q("count", "AWS/ApiGateway", "Count", "Sum", 60, "ApiName", "roadcall-api-prod", "Stage", "prod"),
		q("lag", "AWS/RDS", "AuroraGlobalDBReplicationLag", "Maximum", 60, "DBClusterIdentifier", "roadcall-aurora-prod-replica"),
		q("missing", "AWS/RDS", "AuroraGlobalDBReplicationLag", "Maximum", 60, "DBClusterIdentifier", "roadcall-aurora-prod"),
	}}
	in.MetricDataQueries[0].Label = aws.String("API p95")
	out, err := cw("us-east-1").GetMetricData(context.Background(), in)
	require.NoError(t, err)
	require.Len(t, out.MetricDataResults, 4)
	r := out.MetricDataResults[0]
	require.Equal(t, "p95", *r.Id)
	require.Equal(t, "API p95", *r.Label)
	require.Equal(t, types.StatusCodeComplete, r.StatusCode)
	require.Len(t, r.Values, 7)
	require.True(t, r.Timestamps[0].After(r.Timestamps[1]), "TimestampDescending by default")
	for _, v := range r.Values {
		require.Greater(t, v, 30.0)
		require.Less(t, v, 300.0)
	}
	require.Equal(t, "Count", *out.MetricDataResults[1].Label)
	require.Len(t, out.MetricDataResults[1].Values, 31)
	// The lag lives in the DR region and only for the global secondary.
	require.Empty(t, out.MetricDataResults[2].Values)
	require.Empty(t, out.MetricDataResults[3].Values)
	west, err := cw("us-west-2").GetMetricData(context.Background(), in)
	require.NoError(t, err)
	require.Len(t, west.MetricDataResults[2].Values, 31)
	require.Empty(t, west.MetricDataResults[3].Values, "the primary is not a secondary: no lag metric")

	// Paging: MaxDatapoints splits the results; the SDK's paginator reassembles them.
	in.ScanBy = types.ScanByTimestampAscending
	in.MaxDatapoints = aws.Int32(10)
	got := map[string][]float64{}
	pages := 0
	for p := cloudwatch.NewGetMetricDataPaginator(cw("us-east-1"), in); p.HasMorePages(); pages++ {
		page, err := p.NextPage(context.Background())
		require.NoError(t, err)
		n := 0
		for _, r := range page.MetricDataResults {
			got[*r.Id] = append(got[*r.Id], r.Values...)
			n += len(r.Values)
			require.True(t, sort.SliceIsSorted(r.Timestamps, func(i, j int) bool { return r.Timestamps[i].Before(r.Timestamps[j]) }))
		}
		require.LessOrEqual(t, n, 10)
	}
	require.Equal(t, 4, pages, "38 datapoints, 10 a page")
	require.Len(t, got["p95"], 7)
	require.Len(t, got["count"], 31)
	for i, v := range got["p95"] {
		require.Equal(t, r.Values[len(r.Values)-1-i], v, "ascending is descending reversed")
	}

	// AWS's metrics are standard resolution: a 10-second period finds data only where a minute starts, and a
	// month of 10-second periods is cut to the 3 hours such periods are kept.
	for _, window := range []time.Duration{3 * time.Minute, 30 * 24 * time.Hour} {
		hr, err := cw("us-east-1").GetMetricData(context.Background(), &cloudwatch.GetMetricDataInput{StartTime: aws.Time(now.Add(-window)), EndTime: &now,
			MetricDataQueries: []types.MetricDataQuery{q("hr", "AWS/ApiGateway", "Count", "Sum", 10, "ApiName", "roadcall-api-prod")}})
		require.NoError(t, err)
		ts := hr.MetricDataResults[0].Timestamps
		require.Len(t, ts, int(min(window, 3*time.Hour)/time.Minute))
		for _, x := range ts {
			require.Zero(t, x.Second())
		}
	}
}

func TestCloudWatchListMetricsThroughSDK(t *testing.T) {
	_, cw, _, _ := cwStart(t)
	out, err := cw("us-east-1").ListMetrics(context.Background(), &cloudwatch.ListMetricsInput{Namespace: aws.String("AWS/S3")})
	require.NoError(t, err)
	require.Len(t, out.Metrics, 2)
	names := map[string]string{}
	for _, d := range out.Metrics[0].Dimensions {
		names[*d.Name] = *d.Value
	}
	require.Equal(t, "replicate-to-us-west-2-0", names["RuleId"])

	out, err = cw("us-east-1").ListMetrics(context.Background(), &cloudwatch.ListMetricsInput{
		Namespace: aws.String("AWS/DynamoDB"), MetricName: aws.String("ThrottledRequests"),
		Dimensions: []types.DimensionFilter{{Name: aws.String("TableName"), Value: aws.String("roadcall-incidents-prod")}}})
	require.NoError(t, err)
	require.Len(t, out.Metrics, 5, "the table, and the table per operation")

	out, err = cw("us-west-2").ListMetrics(context.Background(), &cloudwatch.ListMetricsInput{Namespace: aws.String("AWS/RDS")})
	require.NoError(t, err)
	require.Len(t, out.Metrics, 1)
	require.Equal(t, "roadcall-aurora-prod-replica", *out.Metrics[0].Dimensions[0].Value)
}

func TestCloudWatchErrorsThroughSDK(t *testing.T) {
	_, cw, clk, _ := cwStart(t)
	now := clk.Now()
	c := cw("us-west-2")
	base := func() *cloudwatch.GetMetricStatisticsInput {
		return &cloudwatch.GetMetricStatisticsInput{Namespace: aws.String("AWS/RDS"), MetricName: aws.String("AuroraGlobalDBReplicationLag"),
			StartTime: aws.Time(now.Add(-time.Hour)), EndTime: &now, Period: aws.Int32(300), Statistics: []types.Statistic{"Average"}}
	}
	ctx := context.Background()

	in := base()
	in.Statistics = nil
	_, err := c.GetMetricStatistics(ctx, in)
	var combo *types.InvalidParameterCombinationException
	require.True(t, errors.As(err, &combo), "%v", err)
	// CloudWatch is awsQueryCompatible: the SDK reports the query code AWS sends in X-Amzn-Query-Error.
	require.Equal(t, "InvalidParameterCombination", cwCode(t, err))

	in = base()
	in.StartTime, in.EndTime = in.EndTime, in.StartTime
	_, err = c.GetMetricStatistics(ctx, in)
	var bad *types.InvalidParameterValueException
	require.True(t, errors.As(err, &bad), "%v", err)
	require.Equal(t, "InvalidParameterValue", cwCode(t, err))
	require.Contains(t, err.Error(), "StartTime must be less than the parameter EndTime")

	in = base()
	in.Period = aws.Int32(90)
	_, err = c.GetMetricStatistics(ctx, in)
	require.Equal(t, "InvalidParameterValue", cwCode(t, err))

	in = base()
	in.ExtendedStatistics = []string{"p101"}
	_, err = c.GetMetricStatistics(ctx, in)
	require.Equal(t, "InvalidParameterValue", cwCode(t, err))

	// AWS's limit: 1,440 datapoints a call. A day at one minute fits; a second more does not.
	in = base()
	in.StartTime, in.Period = aws.Time(now.Truncate(time.Minute).Add(-24*time.Hour)), aws.Int32(60)
	in.EndTime = aws.Time(now.Truncate(time.Minute))
	_, err = c.GetMetricStatistics(ctx, in)
	require.NoError(t, err)
	in.EndTime = aws.Time(now.Truncate(time.Minute).Add(time.Second))
	_, err = c.GetMetricStatistics(ctx, in)
	require.Equal(t, "InvalidParameterCombination", cwCode(t, err))
	require.Contains(t, err.Error(), "1,441 datapoints")

	stat := "tm99"
	_, err = c.GetMetricData(ctx, &cloudwatch.GetMetricDataInput{StartTime: aws.Time(now.Add(-time.Hour)), EndTime: &now,
		MetricDataQueries: []types.MetricDataQuery{{Id: aws.String("a"), MetricStat: &types.MetricStat{
			Metric: &types.Metric{Namespace: aws.String("AWS/RDS"), MetricName: aws.String("AuroraGlobalDBReplicationLag")}, Period: aws.Int32(60), Stat: &stat}}}})
	require.Equal(t, "InvalidParameterValue", cwCode(t, err))
	_, err = c.GetMetricData(ctx, &cloudwatch.GetMetricDataInput{StartTime: aws.Time(now.Add(-time.Hour)), EndTime: &now,
		NextToken: aws.String("bogus"), MetricDataQueries: []types.MetricDataQuery{{Id: aws.String("a"), Expression: aws.String("SUM(METRICS())")}}})
	require.Equal(t, "InvalidNextToken", cwCode(t, err))

	// An operation awssim does not model gets the protocol's unknown-operation error (DescribeAlarms is
	// modeled now: cloudwatch_alarms_test.go).
	_, err = c.PutMetricAlarm(ctx, &cloudwatch.PutMetricAlarmInput{AlarmName: aws.String("x")})
	require.Equal(t, "UnknownOperationException", cwCode(t, err))
}

// cwPost sends a hand-built request signed (in form only: awssim reads the scope) for us-east-1/monitoring.
func cwPost(t *testing.T, u string, headers map[string]string, body string) (*http.Response, []byte) {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, u+"/", strings.NewReader(body))
	require.NoError(t, err)
	req.Header.Set("Authorization", "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20260101/us-east-1/monitoring/aws4_request, SignedHeaders=host;x-amz-date, Signature=0")
	for k, v := range headers {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return resp, b
}

func TestCloudWatchQueryProtocol(t *testing.T) {
	_, _, clk, u := cwStart(t)
	now := clk.Now()
	form := url.Values{"Action": {"GetMetricStatistics"}, "Version": {"2010-08-01"}, "Namespace": {"AWS/ApiGateway"},
		"MetricName": {"5XXError"}, "Dimensions.member.1.Name": {"ApiName"}, "Dimensions.member.1.Value": {"roadcall-api-prod"},
		"StartTime": {now.Add(-time.Hour).Format(time.RFC3339)}, "EndTime": {now.Format(time.RFC3339)}, "Period": {"300"},
		"Statistics.member.1": {"Sum"}, "Statistics.member.2": {"Average"}, "ExtendedStatistics.member.1": {"p99"}}
	resp, body := cwPost(t, u, map[string]string{"Content-Type": "application/x-www-form-urlencoded"}, form.Encode())
	require.Equal(t, 200, resp.StatusCode, "%s", body)
	var stats struct {
		XMLName    xml.Name `xml:"http://monitoring.amazonaws.com/doc/2010-08-01/ GetMetricStatisticsResponse"`
		Label      string   `xml:"GetMetricStatisticsResult>Label"`
		Datapoints []struct {
			Timestamp time.Time `xml:"Timestamp"`
			Sum       float64   `xml:"Sum"`
			Average   float64   `xml:"Average"`
			Unit      string    `xml:"Unit"`
			Extended  []struct {
				Key   string  `xml:"key"`
				Value float64 `xml:"value"`
			} `xml:"ExtendedStatistics>entry"`
		} `xml:"GetMetricStatisticsResult>Datapoints>member"`
		RequestID string `xml:"ResponseMetadata>RequestId"`
	}
	require.NoError(t, xml.Unmarshal(body, &stats), "%s", body)
	require.Equal(t, "5XXError", stats.Label)
	require.Len(t, stats.Datapoints, 13)
	require.NotEmpty(t, stats.RequestID)
	for _, d := range stats.Datapoints {
		require.Equal(t, "Count", d.Unit)
		require.Less(t, d.Average, 0.01, "healthy 5XX rate is under the 1%% threshold")
		require.Equal(t, "p99", d.Extended[0].Key)
	}

	form = url.Values{"Action": {"GetMetricData"}, "Version": {"2010-08-01"},
		"StartTime": {now.Add(-10 * time.Minute).Format(time.RFC3339)}, "EndTime": {now.Format(time.RFC3339)},
		"MetricDataQueries.member.1.Id":                                          {"lat"},
		"MetricDataQueries.member.1.MetricStat.Metric.Namespace":                 {"AWS/ApiGateway"},
		"MetricDataQueries.member.1.MetricStat.Metric.MetricName":                {"Latency"},
		"MetricDataQueries.member.1.MetricStat.Metric.Dimensions.member.1.Name":  {"ApiName"},
		"MetricDataQueries.member.1.MetricStat.Metric.Dimensions.member.1.Value": {"roadcall-api-prod"},
		"MetricDataQueries.member.1.MetricStat.Period":                           {"60"},
		"MetricDataQueries.member.1.MetricStat.Stat":                             {"p95"},
		"MetricDataQueries.member.2.Id":                                          {"hidden"},
		"MetricDataQueries.member.2.ReturnData":                                  {"false"},
		"MetricDataQueries.member.2.MetricStat.Metric.Namespace":                 {"AWS/ApiGateway"},
		"MetricDataQueries.member.2.MetricStat.Metric.MetricName":                {"Count"},
		"MetricDataQueries.member.2.MetricStat.Period":                           {"60"},
		"MetricDataQueries.member.2.MetricStat.Stat":                             {"Sum"}}
	resp, body = cwPost(t, u, map[string]string{"Content-Type": "application/x-www-form-urlencoded; charset=utf-8"}, form.Encode())
	require.Equal(t, 200, resp.StatusCode, "%s", body)
	var data struct {
		Results []struct {
			ID         string    `xml:"Id"`
			StatusCode string    `xml:"StatusCode"`
			Values     []float64 `xml:"Values>member"`
		} `xml:"GetMetricDataResult>MetricDataResults>member"`
	}
	require.NoError(t, xml.Unmarshal(body, &data), "%s", body)
	require.Len(t, data.Results, 1, "ReturnData=false hides a result")
	require.Equal(t, "lat", data.Results[0].ID)
	require.Equal(t, "Complete", data.Results[0].StatusCode)
	require.Len(t, data.Results[0].Values, 11)

	// A query error carries the legacy code in the query shape.
	form = url.Values{"Action": {"GetMetricStatistics"}, "Namespace": {"AWS/ApiGateway"}, "MetricName": {"Count"},
		"StartTime": {now.Add(-time.Hour).Format(time.RFC3339)}, "EndTime": {now.Format(time.RFC3339)}, "Period": {"300"}}
	resp, body = cwPost(t, u, map[string]string{"Content-Type": "application/x-www-form-urlencoded"}, form.Encode())
	require.Equal(t, 400, resp.StatusCode)
	var e struct {
		Code string `xml:"Error>Code"`
		Type string `xml:"Error>Type"`
	}
	require.NoError(t, xml.Unmarshal(body, &e))
	require.Equal(t, "InvalidParameterCombination", e.Code)
	require.Equal(t, "Sender", e.Type)
}

func TestCloudWatchJSONProtocol(t *testing.T) {
	_, _, clk, u := cwStart(t)
	now := clk.Now()
	hdr := map[string]string{"Content-Type": "application/x-amz-json-1.0", "X-Amz-Target": "GraniteServiceVersion20100801.GetMetricStatistics"}
	body, _ := json.Marshal(map[string]any{"Namespace": "AWS/ApiGateway", "MetricName": "Count",
		"Dimensions": []any{map[string]any{"Name": "ApiName", "Value": "roadcall-api-prod"}},
		"StartTime":  now.Add(-time.Hour).Unix(), "EndTime": now.Unix(), "Period": 3600, "Statistics": []string{"Sum"}})
	resp, b := cwPost(t, u, hdr, string(body))
	require.Equal(t, 200, resp.StatusCode, "%s", b)
	var out struct {
		Datapoints []struct {
			Timestamp float64
			Sum       float64
		}
	}
	require.NoError(t, json.Unmarshal(b, &out))
	require.Len(t, out.Datapoints, 2, "the start rounds down to the minute, 30 s before, so the hour needs two periods")

	body, _ = json.Marshal(map[string]any{"Namespace": "AWS/ApiGateway", "MetricName": "Count", "StartTime": now.Unix(),
		"EndTime": now.Add(-time.Hour).Unix(), "Period": 60, "Statistics": []string{"Sum"}})
	resp, b = cwPost(t, u, hdr, string(body))
	require.Equal(t, 400, resp.StatusCode)
	require.Equal(t, "InvalidParameterValue;Sender", resp.Header.Get("X-Amzn-Query-Error"))
	var e map[string]string
	require.NoError(t, json.Unmarshal(b, &e))
	require.Equal(t, "com.amazonaws.cloudwatch#InvalidParameterValueException", e["__type"])
}

// BenchmarkGetMetricData measures a monitoring step's query through the SDK: five series, an hour at one
// minute, p95 included.
func BenchmarkGetMetricData(b *testing.B) {
	topo, err := topology.Load("../../examples/roadcall-local.json")
	require.NoError(b, err)
	hs := httptest.NewServer(New(topo, Options{}))
	defer hs.Close()
	f, err := awsclient.New(context.Background(), awsclient.Static(hs.URL))
	require.NoError(b, err)
	c := f.CloudWatch("us-east-1")
	now := time.Now()
	q := func(id, ns, metric, stat string, dims ...string) types.MetricDataQuery {
		m := &types.Metric{Namespace: aws.String(ns), MetricName: aws.String(metric)}
		for i := 0; i < len(dims); i += 2 {
			m.Dimensions = append(m.Dimensions, types.Dimension{Name: &dims[i], Value: &dims[i+1]})
		}
		return types.MetricDataQuery{Id: &id, MetricStat: &types.MetricStat{Metric: m, Period: aws.Int32(60), Stat: aws.String(stat)}}
	}
	in := &cloudwatch.GetMetricDataInput{StartTime: aws.Time(now.Add(-time.Hour)), EndTime: &now, MetricDataQueries: []types.MetricDataQuery{
		q("count", "AWS/ApiGateway", "Count", "Sum", "ApiName", "roadcall-api-prod"),
		q("errors", "AWS/ApiGateway", "5XXError", "Sum", "ApiName", "roadcall-api-prod"),
		q("p95", "AWS/ApiGateway", "Latency", "p95", "ApiName", "roadcall-api-prod"),
		q("fn", "AWS/Lambda", "Errors", "Sum"),
		q("ddb", "AWS/DynamoDB", "ThrottledRequests", "Sum", "TableName", "roadcall-incidents-prod"),
	}}
	for b.Loop() {
		out, err := c.GetMetricData(context.Background(), in)
		if err != nil || len(out.MetricDataResults[2].Values) < 60 {
			b.Fatalf("GetMetricData: %v", err)
		}
	}
}
