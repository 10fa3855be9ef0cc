package awssim

import (
	"encoding/xml"
	"strconv"
	"strings"
	"time"
)

// CloudWatch wire shapes. CBOR and JSON clients get maps; query clients get the "<Op>Result" XML below.
// formToM turns a query request into the nested input the others send, so one parser serves all three.

// formToM nests a query request's flat keys ("A.member.1.B") into the shape JSON and CBOR clients send, so
// one parser serves all three protocols.
func formToM(f Form) M {
	root := map[string]any{}
	for k, v := range f {
		if len(v) == 0 {
			continue
		}
		parts := strings.Split(k, ".")
		cur := root
		for _, p := range parts[:len(parts)-1] {
			next, ok := cur[p].(map[string]any)
			if !ok {
				next = map[string]any{}
				cur[p] = next
			}
			cur = next
		}
		if _, nested := cur[parts[len(parts)-1]].(map[string]any); !nested {
			cur[parts[len(parts)-1]] = v[0]
		}
	}
	return M(listify(root).(map[string]any))
}

func listify(v any) any {
	m, ok := v.(map[string]any)
	if !ok {
		return v
	}
	if mem, ok := m["member"].(map[string]any); ok && len(m) == 1 {
		var out []any
		for i := 1; mem[strconv.Itoa(i)] != nil; i++ {
			out = append(out, listify(mem[strconv.Itoa(i)]))
		}
		return out
	}
	for k, e := range m {
		m[k] = listify(e)
	}
	return m
}

type cwXMLEntry struct {
	Key   string  `xml:"key"`
	Value float64 `xml:"value"`
}

type cwXMLDatapoint struct {
	Timestamp   string   `xml:"Timestamp"`
	SampleCount *float64 `xml:"SampleCount,omitempty"`
	Average     *float64 `xml:"Average,omitempty"`
	Sum         *float64 `xml:"Sum,omitempty"`
	Minimum     *float64 `xml:"Minimum,omitempty"`
	Maximum     *float64 `xml:"Maximum,omitempty"`
	Unit        string   `xml:"Unit"`
	Extended    *struct {
		Entries []cwXMLEntry `xml:"entry"`
	} `xml:"ExtendedStatistics,omitempty"`
}

type cwStatisticsResult struct {
	XMLName    xml.Name `xml:"GetMetricStatisticsResult"`
	Label      string   `xml:"Label"`
	Datapoints struct {
		Members []cwXMLDatapoint `xml:"member"`
	} `xml:"Datapoints"`
}

type cwXMLList[T any] struct {
	Members []T `xml:"member"`
}

type cwXMLResult struct {
	ID         string             `xml:"Id"`
	Label      string             `xml:"Label"`
	Timestamps cwXMLList[string]  `xml:"Timestamps"`
	Values     cwXMLList[float64] `xml:"Values"`
	StatusCode string             `xml:"StatusCode"`
	Messages   cwXMLList[string]  `xml:"Messages"`
}

type cwDataResult struct {
	XMLName   xml.Name               `xml:"GetMetricDataResult"`
	Results   cwXMLList[cwXMLResult] `xml:"MetricDataResults"`
	NextToken string                 `xml:"NextToken,omitempty"`
	Messages  cwXMLList[string]      `xml:"Messages"`
}

type cwXMLDimension struct {
	Name  string `xml:"Name"`
	Value string `xml:"Value"`
}

type cwXMLMetric struct {
	Namespace  string                    `xml:"Namespace"`
	MetricName string                    `xml:"MetricName"`
	Dimensions cwXMLList[cwXMLDimension] `xml:"Dimensions"`
}

type cwListMetricsResult struct {
	XMLName xml.Name               `xml:"ListMetricsResult"`
	Metrics cwXMLList[cwXMLMetric] `xml:"Metrics"`
}

// cwPoint is one GetMetricStatistics datapoint: a period's start and its samples' aggregate.
type cwPoint struct {
	t   time.Time
	agg *aggregate
}

func cwStatisticsXML(label, unit string, points []cwPoint, stats, ext []string) cwStatisticsResult {
	out := cwStatisticsResult{Label: label}
	for _, p := range points {
		dp := cwXMLDatapoint{Timestamp: p.t.UTC().Format(cwTimeFormat), Unit: unit}
		for _, st := range stats {
			v := p.agg.value(st)
			switch st {
			case "SampleCount":
				dp.SampleCount = &v
			case "Average":
				dp.Average = &v
			case "Sum":
				dp.Sum = &v
			case "Minimum":
				dp.Minimum = &v
			case "Maximum":
				dp.Maximum = &v
			}
		}
		if len(ext) > 0 {
			dp.Extended = &struct {
				Entries []cwXMLEntry `xml:"entry"`
			}{}
			for _, st := range ext {
				dp.Extended.Entries = append(dp.Extended.Entries, cwXMLEntry{st, p.agg.value(st)})
			}
		}
		out.Datapoints.Members = append(out.Datapoints.Members, dp)
	}
	return out
}

func cwStatisticsJSON(label, unit string, points []cwPoint, stats, ext []string) map[string]any {
	dps := []any{}
	for _, p := range points {
		dp := map[string]any{"Timestamp": p.t, "Unit": unit}
		for _, st := range stats {
			dp[st] = p.agg.value(st)
		}
		if len(ext) > 0 {
			e := map[string]any{}
			for _, st := range ext {
				e[st] = p.agg.value(st)
			}
			dp["ExtendedStatistics"] = e
		}
		dps = append(dps, dp)
	}
	return map[string]any{"Label": label, "Datapoints": dps}
}

// cwResult is one GetMetricData query's datapoints, in the order they are returned.
type cwResult struct {
	id, label string
	ts        []time.Time
	vals      []float64
}

// cwPart is the share of a result one page holds; complete when the page holds the rest of it.
type cwPart struct {
	r        cwResult
	complete bool
}

func (p cwPart) status() string {
	if p.complete {
		return "Complete"
	}
	return "PartialData"
}

func cwDataXML(page []cwPart, next string) cwDataResult {
	out := cwDataResult{NextToken: next}
	for _, p := range page {
		x := cwXMLResult{ID: p.r.id, Label: p.r.label, StatusCode: p.status()}
		for i, t := range p.r.ts {
			x.Timestamps.Members = append(x.Timestamps.Members, t.UTC().Format(cwTimeFormat))
			x.Values.Members = append(x.Values.Members, p.r.vals[i])
		}
		out.Results.Members = append(out.Results.Members, x)
	}
	return out
}

func cwDataJSON(page []cwPart, next string) map[string]any {
	res := []any{}
	for _, p := range page {
		ts, vals := make([]any, len(p.r.ts)), make([]any, len(p.r.vals))
		for i := range p.r.ts {
			ts[i], vals[i] = p.r.ts[i], p.r.vals[i]
		}
		res = append(res, map[string]any{"Id": p.r.id, "Label": p.r.label, "Timestamps": ts, "Values": vals,
			"StatusCode": p.status(), "Messages": []any{}})
	}
	out := map[string]any{"MetricDataResults": res, "Messages": []any{}}
	if next != "" {
		out["NextToken"] = next
	}
	return out
}

func cwMetricsXML(list []series) cwListMetricsResult {
	var out cwListMetricsResult
	for _, se := range list {
		dims := cwXMLList[cwXMLDimension]{}
		for _, k := range SortedKeys(se.dims) {
			dims.Members = append(dims.Members, cwXMLDimension{k, se.dims[k]})
		}
		out.Metrics.Members = append(out.Metrics.Members, cwXMLMetric{se.ns, se.metric, dims})
	}
	return out
}

func cwMetricsJSON(list []series) map[string]any {
	metrics := []any{}
	for _, se := range list {
		dims := []any{}
		for _, k := range SortedKeys(se.dims) {
			dims = append(dims, map[string]any{"Name": k, "Value": se.dims[k]})
		}
		metrics = append(metrics, map[string]any{"Namespace": se.ns, "MetricName": se.metric, "Dimensions": dims})
	}
	return map[string]any{"Metrics": metrics}
}
