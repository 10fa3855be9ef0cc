package awssim

import (
	"encoding/xml"
	"fmt"
	"math"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"
)

// CloudWatch (signing name "monitoring"): current SDKs and the AWS CLI speak Smithy RPC v2 CBOR, some
// clients awsJson1_0, older ones awsQuery. Handlers parse all three into M (formToM) and answer maps for
// CBOR and JSON or "<Op>Result" structs for query. Values come from the metrics model (metrics.go).
func init() {
	register(&service{
		name: "monitoring",
		protocol: multi{rpcv2CBOR{errorPrefix: "com.amazonaws.cloudwatch#"}, awsJSON{errorPrefix: "com.amazonaws.cloudwatch#"},
			queryProtocol{}},
		target: "GraniteServiceVersion20100801",
		xmlns:  "http://monitoring.amazonaws.com/doc/2010-08-01/",
		ops: map[string]opFunc{
			"GetMetricStatistics": cwGetMetricStatistics,
			"GetMetricData":       cwGetMetricData,
			"ListMetrics":         cwListMetrics,
		},
		advance: (*Server).observeMetrics,
	})
}

// CloudWatch is awsQueryCompatible: CBOR and JSON errors name the shape, query errors (and the
// X-Amzn-Query-Error header the SDKs read) the legacy code.
var cwQueryCodes = map[string]string{
	"InvalidParameterValueException":       "InvalidParameterValue",
	"InvalidParameterCombinationException": "InvalidParameterCombination",
	"MissingRequiredParameterException":    "MissingParameter",
	"InvalidNextToken":                     "InvalidNextToken",
}

func cwErr(shape, format string, args ...any) error {
	e := Errf(400, shape, format, args...)
	e.QueryCode = cwQueryCodes[shape]
	return e
}

const (
	cwMaxStatisticsDatapoints = 1440
	cwMaxDataDatapoints       = 100800
	cwMaxQueries              = 500
	cwTimeFormat              = "2006-01-02T15:04:05Z"
)

func cwInput(c *Call) M {
	if c.Form != nil {
		return formToM(c.Form)
	}
	return c.Input
}

func isQuery(c *Call) bool { return c.Form != nil }

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

func cwDims(in M) map[string]string {
	d := map[string]string{}
	for _, x := range in.Maps("Dimensions") {
		d[x.Str("Name")] = x.Str("Value")
	}
	return d
}

// cwWindow reads StartTime and EndTime.
func cwWindow(in M) (start, end time.Time, err error) {
	for _, k := range []string{"StartTime", "EndTime"} {
		if !in.Has(k) {
			return start, end, cwErr("MissingRequiredParameterException", "The parameter %s is required.", k)
		}
	}
	start, okS := in.Time("StartTime")
	end, okE := in.Time("EndTime")
	if !okS || !okE {
		return start, end, cwErr("InvalidParameterValueException", "The parameters StartTime and EndTime must be timestamps (got %v and %v).", in["StartTime"], in["EndTime"])
	}
	if !start.Before(end) {
		return start, end, cwErr("InvalidParameterValueException", "The parameter StartTime must be less than the parameter EndTime.")
	}
	return start, end, nil
}

// cwPeriod validates a period: 1, 5, 10, 20 or 30 seconds for high resolution, else a multiple of 60.
func cwPeriod(in M, name string) (time.Duration, error) {
	if !in.Has("Period") {
		return 0, cwErr("MissingRequiredParameterException", "The parameter %s is required.", name)
	}
	p, _ := in.Int("Period")
	switch {
	case p <= 0:
		return 0, cwErr("InvalidParameterValueException", "The parameter %s must be greater than 0.", name)
	case p%60 != 0 && p != 1 && p != 5 && p != 10 && p != 20 && p != 30:
		return 0, cwErr("InvalidParameterValueException", "The parameter %s must be a multiple of 60, or 1, 5, 10, 20 or 30 for high-resolution metrics.", name)
	}
	return time.Duration(p) * time.Second, nil
}

// cwBuckets returns the period starts CloudWatch reports for [start, end): the start is rounded down as
// CloudWatch does (to the period under a minute, the minute within 15 days, 5 minutes within 63, then the
// hour), and periods past the retention of their resolution are dropped.
func cwBuckets(start, end, now time.Time, period time.Duration, limit int) ([]time.Time, error) {
	age := now.Sub(start)
	round := time.Minute
	switch {
	case period < time.Minute:
		round = period
	case age > 63*24*time.Hour:
		round = time.Hour
	case age > 15*24*time.Hour:
		round = 5 * time.Minute
	}
	first := start.Truncate(round)
	n := int(math.Ceil(float64(end.Sub(first)) / float64(period)))
	if limit > 0 && n > limit {
		return nil, cwErr("InvalidParameterCombinationException",
			"You have requested up to %s datapoints, which exceeds the limit of %s. You may reduce the datapoints requested by increasing Period, or decreasing the time range.",
			thousands(n), thousands(limit))
	}
	retention := 455 * 24 * time.Hour
	switch {
	case period < time.Minute:
		retention = 3 * time.Hour
	case period%(5*time.Minute) != 0:
		retention = 15 * 24 * time.Hour
	case period%time.Hour != 0:
		retention = 63 * 24 * time.Hour
	}
	b := first
	if cutoff := now.Add(-retention); b.Before(cutoff) {
		b = b.Add(cutoff.Sub(b).Truncate(period)) // skip expired periods without walking them
	}
	var out []time.Time
	for ; b.Before(end) && !b.After(now); b = b.Add(period) {
		if now.Sub(b) <= retention {
			out = append(out, b)
		}
	}
	return out, nil
}

func thousands(n int) string {
	s := strconv.Itoa(n)
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}

func cwStatValid(stat string) bool {
	_, p := percentile(stat)
	return isBasicStat(stat) || p
}

// ---- GetMetricStatistics ----

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

func cwGetMetricStatistics(s *Server, c *Call) (any, error) {
	in := cwInput(c)
	for _, k := range []string{"Namespace", "MetricName"} {
		if in.Str(k) == "" {
			return nil, cwErr("MissingRequiredParameterException", "The parameter %s is required.", k)
		}
	}
	ns, name := in.Str("Namespace"), in.Str("MetricName")
	start, end, err := cwWindow(in)
	if err != nil {
		return nil, err
	}
	period, err := cwPeriod(in, "Period")
	if err != nil {
		return nil, err
	}
	stats, ext := in.Strings("Statistics"), in.Strings("ExtendedStatistics")
	if len(stats)+len(ext) == 0 {
		return nil, cwErr("InvalidParameterCombinationException", "Must specify either Statistics or ExtendedStatistics.")
	}
	for i, st := range stats {
		if !isBasicStat(st) {
			return nil, cwErr("InvalidParameterValueException", "The parameter Statistics.member.%d must be a value in the set [ Maximum, Minimum, Sum, SampleCount, Average ] (got %q).", i+1, st)
		}
	}
	for i, st := range ext {
		if _, ok := percentile(st); !ok {
			return nil, cwErr("InvalidParameterValueException", "The parameter ExtendedStatistics.member.%d must be a percentile from p0 to p100 such as p95 or p99.9 (got %q).", i+1, st)
		}
	}
	buckets, err := cwBuckets(start, end, c.Now, period, cwMaxStatisticsDatapoints)
	if err != nil {
		return nil, err
	}
	se := s.findSeries(c.Region, ns, name, cwDims(in))
	type point struct {
		t   time.Time
		agg *aggregate
	}
	var points []point
	if unit := in.Str("Unit"); se != nil && (unit == "" || unit == se.unit) {
		for _, b := range buckets {
			if a, ok := aggregateOf(s.samples(se, b, period)); ok {
				points = append(points, point{b, a})
			}
		}
	}
	// AWS returns datapoints in no particular order; so does awssim (deterministically), so callers sort.
	sort.Slice(points, func(i, j int) bool {
		return noise("order", points[i].t, 0) < noise("order", points[j].t, 0)
	})

	if isQuery(c) {
		out := cwStatisticsResult{Label: name}
		for _, p := range points {
			dp := cwXMLDatapoint{Timestamp: p.t.UTC().Format(cwTimeFormat), Unit: se.unit}
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
		return out, nil
	}
	dps := []any{}
	for _, p := range points {
		dp := map[string]any{"Timestamp": p.t, "Unit": se.unit}
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
	return map[string]any{"Label": name, "Datapoints": dps}, nil
}

// ---- GetMetricData ----

var cwQueryIDRE = regexp.MustCompile(`^[a-z][a-zA-Z0-9_]*$`)

type cwResult struct {
	id, label string
	ts        []time.Time
	vals      []float64
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

func cwGetMetricData(s *Server, c *Call) (any, error) {
	in := cwInput(c)
	start, end, err := cwWindow(in)
	if err != nil {
		return nil, err
	}
	scan := in.Str("ScanBy")
	if scan == "" {
		scan = "TimestampDescending"
	}
	if scan != "TimestampDescending" && scan != "TimestampAscending" {
		return nil, cwErr("InvalidParameterValueException", "The parameter ScanBy must be TimestampDescending or TimestampAscending (got %q).", scan)
	}
	maxDP := cwMaxDataDatapoints
	if v, ok := in.Int("MaxDatapoints"); ok {
		if v <= 0 {
			return nil, cwErr("InvalidParameterValueException", "The parameter MaxDatapoints must be greater than 0.")
		}
		maxDP = int(min(v, cwMaxDataDatapoints))
	}
	offset := 0
	if tok := in.Str("NextToken"); tok != "" {
		n, err := strconv.Atoi(strings.TrimPrefix(tok, "awssim-"))
		if err != nil || !strings.HasPrefix(tok, "awssim-") || n <= 0 {
			return nil, cwErr("InvalidNextToken", "The NextToken %q is not valid.", tok)
		}
		offset = n
	}
	queries := in.Maps("MetricDataQueries")
	if len(queries) == 0 {
		return nil, cwErr("MissingRequiredParameterException", "The parameter MetricDataQueries is required.")
	}
	if len(queries) > cwMaxQueries {
		return nil, cwErr("InvalidParameterValueException", "The collection MetricDataQueries must not have a size greater than %d.", cwMaxQueries)
	}
	seen := map[string]bool{}
	var results []cwResult
	for i, q := range queries {
		path := fmt.Sprintf("MetricDataQueries.member.%d", i+1)
		id := q.Str("Id")
		if !cwQueryIDRE.MatchString(id) {
			return nil, cwErr("InvalidParameterValueException", "The value %q for parameter %s.Id is invalid: it must start with a lowercase letter and hold only letters, digits and underscores.", id, path)
		}
		if seen[id] {
			return nil, cwErr("InvalidParameterValueException", "The values for parameter id in MetricDataQueries are not unique (%q repeats).", id)
		}
		seen[id] = true
		if q.Str("Expression") != "" {
			return nil, cwErr("InvalidParameterValueException", "awssim does not evaluate metric math (%s.Expression %q); query each metric with MetricStat.", path, q.Str("Expression"))
		}
		ms := q.Map("MetricStat")
		if ms == nil {
			return nil, cwErr("InvalidParameterValueException", "The parameter %s must have either MetricStat or Expression.", path)
		}
		metric := ms.Map("Metric")
		if metric == nil || metric.Str("Namespace") == "" || metric.Str("MetricName") == "" {
			return nil, cwErr("MissingRequiredParameterException", "The parameter %s.MetricStat.Metric needs Namespace and MetricName.", path)
		}
		period, err := cwPeriod(ms, path+".MetricStat.Period")
		if err != nil {
			return nil, err
		}
		stat := ms.Str("Stat")
		if !cwStatValid(stat) {
			return nil, cwErr("InvalidParameterValueException", "The value %q for parameter %s.MetricStat.Stat is not a statistic awssim knows (SampleCount, Average, Sum, Minimum, Maximum, pNN).", stat, path)
		}
		if ret, ok := boolish(q["ReturnData"]); ok && !ret {
			continue
		}
		buckets, err := cwBuckets(start, end, c.Now, period, 0)
		if err != nil {
			return nil, err
		}
		r := cwResult{id: id, label: q.Str("Label")}
		if r.label == "" {
			r.label = metric.Str("MetricName")
		}
		se := s.findSeries(c.Region, metric.Str("Namespace"), metric.Str("MetricName"), cwDims(metric))
		if unit := ms.Str("Unit"); se != nil && (unit == "" || unit == se.unit) {
			for _, b := range buckets {
				if a, ok := aggregateOf(s.samples(se, b, period)); ok {
					r.ts, r.vals = append(r.ts, b), append(r.vals, a.value(stat))
				}
			}
		}
		if scan == "TimestampDescending" {
			for i, j := 0, len(r.ts)-1; i < j; i, j = i+1, j-1 {
				r.ts[i], r.ts[j] = r.ts[j], r.ts[i]
				r.vals[i], r.vals[j] = r.vals[j], r.vals[i]
			}
		}
		results = append(results, r)
	}

	// Page: MaxDatapoints across all results, resuming after the datapoints earlier pages returned.
	type part struct {
		r        cwResult
		complete bool
	}
	var page []part
	next, pos, budget := "", 0, maxDP
	for _, r := range results {
		n := len(r.ts)
		if pos+n <= offset && !(n == 0 && offset == 0) {
			pos += n
			continue
		}
		from := max(offset-pos, 0)
		if budget == 0 && from < n {
			next = fmt.Sprintf("awssim-%d", pos+from)
			break
		}
		to := min(n, from+budget)
		budget -= to - from
		page = append(page, part{cwResult{r.id, r.label, r.ts[from:to], r.vals[from:to]}, to == n})
		pos += n
		if to < n {
			next = fmt.Sprintf("awssim-%d", pos-n+to)
			break
		}
	}

	status := func(p part) string {
		if p.complete {
			return "Complete"
		}
		return "PartialData"
	}
	if isQuery(c) {
		out := cwDataResult{NextToken: next}
		for _, p := range page {
			x := cwXMLResult{ID: p.r.id, Label: p.r.label, StatusCode: status(p)}
			for i, t := range p.r.ts {
				x.Timestamps.Members = append(x.Timestamps.Members, t.UTC().Format(cwTimeFormat))
				x.Values.Members = append(x.Values.Members, p.r.vals[i])
			}
			out.Results.Members = append(out.Results.Members, x)
		}
		return out, nil
	}
	res := []any{}
	for _, p := range page {
		ts, vals := make([]any, len(p.r.ts)), make([]any, len(p.r.vals))
		for i := range p.r.ts {
			ts[i], vals[i] = p.r.ts[i], p.r.vals[i]
		}
		res = append(res, map[string]any{"Id": p.r.id, "Label": p.r.label, "Timestamps": ts, "Values": vals,
			"StatusCode": status(p), "Messages": []any{}})
	}
	out := map[string]any{"MetricDataResults": res, "Messages": []any{}}
	if next != "" {
		out["NextToken"] = next
	}
	return out, nil
}

// boolish reads a boolean sent as a JSON/CBOR bool or a query string.
func boolish(v any) (bool, bool) {
	switch x := v.(type) {
	case bool:
		return x, true
	case string:
		b, err := strconv.ParseBool(x)
		return b, err == nil
	}
	return false, false
}

// ---- ListMetrics ----

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

// cwListMetrics lists every series of the region that matches the filters, on one page.
func cwListMetrics(s *Server, c *Call) (any, error) {
	in := cwInput(c)
	if tok := in.Str("NextToken"); tok != "" {
		return nil, cwErr("InvalidNextToken", "The NextToken %q is not valid: ListMetrics answers on one page.", tok)
	}
	ns, name := in.Str("Namespace"), in.Str("MetricName")
	filters := in.Maps("Dimensions")
	var xmlOut cwListMetricsResult
	list := []any{}
	for _, se := range s.seriesIn(c.Region) {
		if (ns != "" && se.ns != ns) || (name != "" && se.metric != name) {
			continue
		}
		match := true
		for _, f := range filters {
			v, ok := se.dims[f.Str("Name")]
			match = match && ok && (!f.Has("Value") || f.Str("Value") == v)
		}
		if !match {
			continue
		}
		dims, xdims := []any{}, cwXMLList[cwXMLDimension]{}
		for _, k := range SortedKeys(se.dims) {
			dims = append(dims, map[string]any{"Name": k, "Value": se.dims[k]})
			xdims.Members = append(xdims.Members, cwXMLDimension{k, se.dims[k]})
		}
		list = append(list, map[string]any{"Namespace": se.ns, "MetricName": se.metric, "Dimensions": dims})
		xmlOut.Metrics.Members = append(xmlOut.Metrics.Members, cwXMLMetric{se.ns, se.metric, xdims})
	}
	if isQuery(c) {
		return xmlOut, nil
	}
	return map[string]any{"Metrics": list}, nil
}
