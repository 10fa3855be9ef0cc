package awssim

import (
	"maps"
	"math"
	"slices"
	"strings"
	"time"
)

// The series each region publishes: one per metric and set of dimension values, as ListMetrics shows them,
// each a function from a minute to the samples published in it.

// series is one metric with one set of dimension values, as ListMetrics shows it.
type series struct {
	ns, metric, unit string
	dims             map[string]string
	since            time.Time
	// minute returns the samples published in the minute starting at m, with the world as it was at at.
	minute func(m, at time.Time) []sample
}

// seriesIn lists every series a region publishes, in a stable order.
func (s *Server) seriesIn(region string) []series { return s.seriesOf(region, "", "") }

// seriesOf is seriesIn with the per-table and per-function series of only the table and function named
// (every one when empty): building every table's series for each query made GetMetricData cost grow with
// the world, and a read of every table's metric quadratic (2,000 tables: minutes at time scale 0).
// Aggregates over tables or functions are only right with every one, so only a query that names the
// table or function (whose dimensions the aggregates lack) may narrow them.
func (s *Server) seriesOf(region, table, function string) []series {
	w := s.world
	reg := w.Regions[region]
	if reg == nil {
		return nil
	}
	born := w.Seeded.Add(-seedAge)
	var out []series
	add := func(ns, metric, unit string, since time.Time, dims map[string]string, f func(m, at time.Time) []sample) {
		out = append(out, series{ns: ns, metric: metric, unit: unit, dims: dims, since: since, minute: f})
	}

	for _, id := range SortedKeys(reg.RestAPIs) {
		api := reg.RestAPIs[id]
		dimSets := []map[string]string{{"ApiName": api.Name}}
		for _, st := range SortedKeys(api.Stages) {
			dimSets = append(dimSets, map[string]string{"ApiName": api.Name, "Stage": st})
		}
		for _, d := range dimSets {
			add("AWS/ApiGateway", "Count", "Count", born, d, func(m, at time.Time) []sample {
				return []sample{{1, s.apiAt(region, m, at).requests}}
			})
			add("AWS/ApiGateway", "5XXError", "Count", born, d, func(m, at time.Time) []sample {
				a := s.apiAt(region, m, at)
				return counted(a.e5, a.requests)
			})
			add("AWS/ApiGateway", "4XXError", "Count", born, d, func(m, at time.Time) []sample {
				a := s.apiAt(region, m, at)
				return counted(a.e4, a.requests)
			})
			add("AWS/ApiGateway", "Latency", "Milliseconds", born, d, func(m, at time.Time) []sample {
				return spread(s.apiAt(region, m, at).lat...)
			})
			add("AWS/ApiGateway", "IntegrationLatency", "Milliseconds", born, d, func(m, at time.Time) []sample {
				// API Gateway's own overhead is the difference between Latency and IntegrationLatency.
				lat := append([]latGroup(nil), s.apiAt(region, m, at).lat...)
				for i := range lat {
					lat[i].median = max(lat[i].median-8, 1)
				}
				return spread(lat...)
			})
		}
	}

	fnNames := only(SortedKeys(reg.Functions), function)
	lambda := func(names []string, dims map[string]string) {
		each := func(m, at time.Time, f func(fnMinute) []sample) []sample {
			var ss []sample
			for _, n := range names {
				ss = append(ss, f(s.fnAt(region, n, m, at))...)
			}
			return ss
		}
		add("AWS/Lambda", "Invocations", "Count", born, dims, func(m, at time.Time) []sample {
			return each(m, at, func(f fnMinute) []sample { return []sample{{1, f.attempts - f.throttles}} })
		})
		add("AWS/Lambda", "Errors", "Count", born, dims, func(m, at time.Time) []sample {
			return each(m, at, func(f fnMinute) []sample { return counted(f.errors, f.attempts-f.throttles) })
		})
		add("AWS/Lambda", "Throttles", "Count", born, dims, func(m, at time.Time) []sample {
			return each(m, at, func(f fnMinute) []sample { return counted(f.throttles, f.attempts) })
		})
		add("AWS/Lambda", "Duration", "Milliseconds", born, dims, func(m, at time.Time) []sample {
			return each(m, at, func(f fnMinute) []sample { return spread(f.dur...) })
		})
	}
	if len(fnNames) > 0 {
		lambda(fnNames, map[string]string{})
	}
	for _, n := range fnNames {
		lambda([]string{n}, map[string]string{"FunctionName": n})
	}

	tables := only(SortedKeys(reg.Tables), table)
	// Counters publish one sample a minute holding the minute's count, zero included, so a fixed table
	// shows its throttling fall to zero rather than go silent.
	counter := func(ns, metric string, since time.Time, dims map[string]string, f func(m, at time.Time) float64) {
		add(ns, metric, "Count", since, dims, func(m, at time.Time) []sample { return []sample{{f(m, at), 1}} })
	}
	counter("AWS/DynamoDB", "UserErrors", born, map[string]string{}, func(m, at time.Time) float64 {
		var n float64
		for _, t := range tables {
			n += sumOps(s.tableAt(region, t, m, at).userErrors)
		}
		return n
	})
	for _, name := range tables {
		t := reg.Tables[name]
		counter("AWS/DynamoDB", "ThrottledRequests", t.CreatedAt, map[string]string{"TableName": name}, func(m, at time.Time) float64 {
			return sumOps(s.tableAt(region, name, m, at).throttled)
		})
		counter("AWS/DynamoDB", "UserErrors", t.CreatedAt, map[string]string{"TableName": name}, func(m, at time.Time) float64 {
			return sumOps(s.tableAt(region, name, m, at).userErrors)
		})
		for i, op := range tableOps {
			d := map[string]string{"TableName": name, "Operation": op.name}
			counter("AWS/DynamoDB", "ThrottledRequests", t.CreatedAt, d, func(m, at time.Time) float64 {
				return s.tableAt(region, name, m, at).throttled[i]
			})
			counter("AWS/DynamoDB", "UserErrors", t.CreatedAt, d, func(m, at time.Time) float64 {
				return s.tableAt(region, name, m, at).userErrors[i]
			})
		}
		for _, to := range t.Replicas {
			if to == region {
				continue
			}
			key := region + "|ddb-repl|" + name + "|" + to
			add("AWS/DynamoDB", "ReplicationLatency", "Milliseconds", t.CreatedAt, map[string]string{"TableName": name, "ReceivingRegion": to},
				func(m, at time.Time) []sample {
					return []sample{{math.Round(400 + 800*noise(key, m, 1) + ms(s.lagAt(at))), 1}}
				})
		}
	}

	for _, id := range SortedKeys(reg.Clusters) {
		cl := reg.Clusters[id]
		// Only a global database's secondary reports how far it is behind its primary.
		if cl.GlobalClusterID == "" || cl.Writer {
			continue
		}
		key := region + "|aurora-lag|" + id
		add("AWS/RDS", "AuroraGlobalDBReplicationLag", "Milliseconds", cl.CreatedAt, map[string]string{"DBClusterIdentifier": id},
			func(m, at time.Time) []sample {
				return []sample{{math.Round(25 + 35*noise(key, m, 1) + ms(s.lagAt(at))), 1}}
			})
	}

	for _, bn := range SortedKeys(w.Buckets) {
		b := w.Buckets[bn]
		if b.Region != region || b.Replication == nil {
			continue
		}
		for _, rule := range b.Replication.Rules {
			if rule.Status != "Enabled" {
				continue
			}
			dest := strings.TrimPrefix(rule.DestinationBucket, "arn:aws:s3:::")
			destRegion := ""
			if db := w.Buckets[dest]; db != nil {
				destRegion = db.Region
			}
			d := map[string]string{"SourceBucket": bn, "DestinationBucket": dest, "RuleId": rule.ID}
			key := region + "|s3-repl|" + bn + "|" + rule.ID
			// Objects keep arriving while the destination region is out: they wait, and the wait grows.
			stalled := func(at time.Time) float64 {
				if since, out := s.outSince(destRegion, at); out {
					return at.Sub(since).Seconds()
				}
				return 0
			}
			add("AWS/S3", "ReplicationLatency", "Seconds", born, d, func(m, at time.Time) []sample {
				return []sample{{math.Round(3 + 12*noise(key, m, 1) + stalled(at)), 1}}
			})
			add("AWS/S3", "OperationsPendingReplication", "Count", born, d, func(m, at time.Time) []sample {
				return []sample{{math.Floor(5*noise(key, m, 2) + 2*stalled(at)), 1}}
			})
		}
	}
	return out
}

// only is names narrowed to name when it is one of them (nothing when it is not), or all of them when
// name is empty.
func only(names []string, name string) []string {
	if name == "" {
		return names
	}
	if slices.Contains(names, name) {
		return []string{name}
	}
	return nil
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

func sumOps(v [4]float64) float64 { return v[0] + v[1] + v[2] + v[3] }

// findSeries returns the series with exactly these dimensions, as CloudWatch matches them.
func (s *Server) findSeries(region, ns, metric string, dims map[string]string) *series {
	for _, se := range s.seriesOf(region, dims["TableName"], dims["FunctionName"]) {
		if se.ns == ns && se.metric == metric && maps.Equal(se.dims, dims) {
			return &se
		}
	}
	return nil
}

// samples returns what a series published in [t, t+period): standard-resolution data, one batch a minute,
// each minute judged by the world at its last instant that has happened.
func (s *Server) samples(se *series, t time.Time, period time.Duration) []sample {
	now := s.now()
	m := t.Truncate(time.Minute)
	if m.Before(t) {
		m = m.Add(time.Minute)
	}
	var out []sample
	for end := t.Add(period); m.Before(end) && !m.After(now); m = m.Add(time.Minute) {
		at := m.Add(time.Minute - time.Nanosecond)
		if at.After(now) {
			at = now
		}
		if at.Before(se.since) {
			continue
		}
		out = append(out, se.minute(m, at)...)
	}
	return out
}
