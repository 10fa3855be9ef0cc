package awssim

import (
	"fmt"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"
)

// CloudWatch (signing name "monitoring"): current SDKs and the AWS CLI speak Smithy RPC v2 CBOR, some
// clients awsJson1_0, older ones awsQuery. Handlers parse all three into M (formToM) and answer maps for
// CBOR and JSON or "<Op>Result" structs for query. Values come from the metrics model.
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
			"DescribeAlarms":      cwDescribeAlarms,
			"SetAlarmState":       journaled(cwAlarmName, cwSetAlarmState),
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

// ---- GetMetricStatistics ----

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
	var points []cwPoint
	if unit := in.Str("Unit"); se != nil && (unit == "" || unit == se.unit) {
		for _, b := range buckets {
			if a, ok := aggregateOf(s.samples(se, b, period)); ok {
				points = append(points, cwPoint{b, a})
			}
		}
	}
	// AWS returns datapoints in no particular order; so does awssim (deterministically), so callers sort.
	sort.Slice(points, func(i, j int) bool {
		return noise("order", points[i].t, 0) < noise("order", points[j].t, 0)
	})
	unit := ""
	if se != nil {
		unit = se.unit
	}
	if isQuery(c) {
		return cwStatisticsXML(name, unit, points, stats, ext), nil
	}
	return cwStatisticsJSON(name, unit, points, stats, ext), nil
}

// ---- GetMetricData ----

var cwQueryIDRE = regexp.MustCompile(`^[a-z][a-zA-Z0-9_]*$`)

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
	var page []cwPart
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
		page = append(page, cwPart{cwResult{r.id, r.label, r.ts[from:to], r.vals[from:to]}, to == n})
		pos += n
		if to < n {
			next = fmt.Sprintf("awssim-%d", pos-n+to)
			break
		}
	}

	if isQuery(c) {
		return cwDataXML(page, next), nil
	}
	return cwDataJSON(page, next), nil
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

// cwListMetrics lists every series of the region that matches the filters, on one page.
func cwListMetrics(s *Server, c *Call) (any, error) {
	in := cwInput(c)
	if tok := in.Str("NextToken"); tok != "" {
		return nil, cwErr("InvalidNextToken", "The NextToken %q is not valid: ListMetrics answers on one page.", tok)
	}
	ns, name := in.Str("Namespace"), in.Str("MetricName")
	filters := in.Maps("Dimensions")
	var matched []series
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
		matched = append(matched, se)
	}
	if isQuery(c) {
		return cwMetricsXML(matched), nil
	}
	return cwMetricsJSON(matched), nil
}
