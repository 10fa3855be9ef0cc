package activities

import (
	"context"
	"fmt"
	"sort"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatch/types"
)

// Dimension is a CloudWatch dimension.
type Dimension struct {
	Name  string `json:"name"`
	Value string `json:"value"`
}

// MetricQuery asks for one statistic of one metric over the window that ends now.
type MetricQuery struct {
	Region     string        `json:"region"`
	Namespace  string        `json:"namespace"`
	Metric     string        `json:"metric"`
	Dimensions []Dimension   `json:"dimensions"`
	Stat       string        `json:"stat"` // Average, Sum, Maximum, Minimum, SampleCount, p95 ...
	Period     time.Duration `json:"period"`
	Window     time.Duration `json:"window"`
}

// Point is one datapoint.
type Point struct {
	T time.Time `json:"t"`
	V float64   `json:"v"`
}

// MetricResult carries the datapoints, oldest first, and summaries the workflows compare to thresholds.
type MetricResult struct {
	Points []Point `json:"points"`
	Max    float64 `json:"max"`
	Avg    float64 `json:"avg"`
	Sum    float64 `json:"sum"`
	Last   float64 `json:"last"`
}

// Label renders the query for reports.
func (q MetricQuery) Label() string {
	s := q.Namespace + " " + q.Metric
	for _, d := range q.Dimensions {
		s += fmt.Sprintf(" %s=%s", d.Name, d.Value)
	}
	return s + " (" + q.Stat + ")"
}

// GetMetric reads one statistic through GetMetricData over the last Window. The window ends at the
// activity's clock, which is fine: the result, not the clock, enters history.
func (a *Activities) GetMetric(ctx context.Context, q MetricQuery) (MetricResult, error) {
	end := time.Now().UTC().Truncate(time.Minute).Add(time.Minute)
	period := q.Period
	if period <= 0 {
		period = time.Minute
	}
	window := q.Window
	if window <= 0 {
		window = 15 * time.Minute
	}
	dims := make([]types.Dimension, len(q.Dimensions))
	for i, d := range q.Dimensions {
		dims[i] = types.Dimension{Name: aws.String(d.Name), Value: aws.String(d.Value)}
	}
	in := &cloudwatch.GetMetricDataInput{
		StartTime: aws.Time(end.Add(-window)), EndTime: aws.Time(end), ScanBy: types.ScanByTimestampAscending,
		MetricDataQueries: []types.MetricDataQuery{{
			Id: aws.String("m0"),
			MetricStat: &types.MetricStat{
				Metric: &types.Metric{Namespace: aws.String(q.Namespace), MetricName: aws.String(q.Metric), Dimensions: dims},
				Period: aws.Int32(int32(period.Seconds())), Stat: aws.String(q.Stat),
			},
		}},
	}
	var res MetricResult
	p := cloudwatch.NewGetMetricDataPaginator(a.AWS.CloudWatch(q.Region), in)
	for p.HasMorePages() {
		out, err := p.NextPage(ctx)
		if err != nil {
			return MetricResult{}, classify(err, "cloudwatch:GetMetricData", q.Label(), q.Region)
		}
		for _, r := range out.MetricDataResults {
			for i := range r.Timestamps {
				if i < len(r.Values) {
					res.Points = append(res.Points, Point{T: r.Timestamps[i], V: r.Values[i]})
				}
			}
		}
	}
	sort.Slice(res.Points, func(i, j int) bool { return res.Points[i].T.Before(res.Points[j].T) })
	for i, pt := range res.Points {
		if i == 0 || pt.V > res.Max {
			res.Max = pt.V
		}
		res.Sum += pt.V
		res.Last = pt.V
	}
	if n := len(res.Points); n > 0 {
		res.Avg = res.Sum / float64(n)
	}
	return res, nil
}
