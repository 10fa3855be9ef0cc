package awssim

import (
	"encoding/binary"
	"hash/fnv"
	"math"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"
)

// The metrics model. Every CloudWatch value is derived from the world and the faults as they were at the
// datapoint's time; nothing is stored but the history below. Each standard-resolution minute publishes
// weighted samples (a value seen n times), and every statistic, percentiles included, aggregates them.
// Values are seeded by resource, metric and minute, so a query always returns the same numbers.

// The recovery rules: the one place that decides when an operator's scaling has fixed a fault.
const (
	// ScaledTableCapacity: a table hit by the throttled-table fault stops throttling once it is PROVISIONED
	// with at least this many read and write capacity units and the update has finished (ACTIVE). An
	// on-demand table keeps throttling, as a spike past an on-demand table's previous peak does in AWS.
	ScaledTableCapacity = 100
	// ScaledFunctionConcurrency: a function hit by the degraded-function fault stops failing and throttling
	// once its reserved concurrency is at least this.
	ScaledFunctionConcurrency = 100
)

// TableScaled applies the throttled-table recovery rule.
func TableScaled(t *Table) bool {
	return t.BillingMode == "PROVISIONED" && t.ReadCap >= ScaledTableCapacity && t.WriteCap >= ScaledTableCapacity && t.Status == "ACTIVE"
}

// FunctionScaled applies the degraded-function recovery rule.
func FunctionScaled(f *Function) bool {
	return f.ReservedConcurrency != nil && *f.ReservedConcurrency >= ScaledFunctionConcurrency
}

// Traffic model figures.
const (
	servingRPM    = 600   // API requests a minute in the region the DNS record points at
	healthRPM     = 20    // Route 53 health checkers' requests a minute, which reach every region
	timeoutMS     = 29000 // API Gateway's integration timeout: what a dead region's requests wait
	tableBaseRPM  = 60    // table requests a minute from replication and background jobs
	degThrottle   = 0.2   // share of a degraded function's attempts throttled
	degErrors     = 0.3   // share of a degraded function's invocations failing
	throttleShare = 0.25  // share of a throttled table's requests refused
	latencyPoints = 20    // quantile points that stand for one minute's latency distribution
)

var tableOps = []struct {
	name  string
	share float64
}{{"GetItem", 0.4}, {"Query", 0.3}, {"PutItem", 0.2}, {"UpdateItem", 0.1}}

// MetricHistory remembers what the world itself forgets but past datapoints need: when faults ended, where
// DNS sent traffic, and when capacity was raised. The monitoring service's advance hook records changes
// at the first request after them, so a datapoint never reflects a change before a client could see it.
type MetricHistory struct {
	Faults  map[string]*FaultSpan `json:"faults"`
	Serving []RegionFlip          `json:"serving"`
	// Scaled is keyed "table/<region>/<name>" or "function/<region>/<name>".
	Scaled map[string][]Flip `json:"scaled"`
}

// FaultSpan is a fault and, once removed, when it ended.
type FaultSpan struct {
	Fault Fault     `json:"fault"`
	Until time.Time `json:"until,omitzero"`
}

// Flip is a boolean that became On at At; the first flip of a key has a zero At (since the beginning).
type Flip struct {
	At time.Time `json:"at,omitzero"`
	On bool      `json:"on"`
}

type RegionFlip struct {
	At     time.Time `json:"at,omitzero"`
	Region string    `json:"region"`
}

// observeMetrics is the monitoring service's advance hook.
func (s *Server) observeMetrics(now time.Time) {
	h := s.world.Metrics
	if h == nil {
		h = &MetricHistory{Faults: map[string]*FaultSpan{}, Scaled: map[string][]Flip{}}
		s.world.Metrics = h
	}
	live := map[string]bool{}
	for _, f := range s.faults {
		live[f.ID] = true
		if h.Faults[f.ID] == nil {
			h.Faults[f.ID] = &FaultSpan{Fault: *f}
		}
	}
	for id, sp := range h.Faults {
		if !live[id] && sp.Until.IsZero() {
			sp.Until = now
		}
	}
	if r := s.world.ServingRegion(s.topo); len(h.Serving) == 0 {
		h.Serving = append(h.Serving, RegionFlip{Region: r})
	} else if h.Serving[len(h.Serving)-1].Region != r {
		h.Serving = append(h.Serving, RegionFlip{At: now, Region: r})
	}
	flip := func(key string, on bool) {
		fl := h.Scaled[key]
		if len(fl) == 0 {
			h.Scaled[key] = []Flip{{On: on}}
		} else if fl[len(fl)-1].On != on {
			h.Scaled[key] = append(fl, Flip{At: now, On: on})
		}
	}
	for rn, reg := range s.world.Regions {
		for name, t := range reg.Tables {
			flip("table/"+rn+"/"+name, TableScaled(t))
		}
		for name, f := range reg.Functions {
			flip("function/"+rn+"/"+name, FunctionScaled(f))
		}
	}
}

// ---- the world at a past moment ----

func (s *Server) history() *MetricHistory {
	if s.world.Metrics == nil {
		s.observeMetrics(s.now())
	}
	return s.world.Metrics
}

// faultsAt returns the faults of a kind that were active at t.
func (s *Server) faultsAt(kind string, t time.Time) []*Fault {
	var out []*Fault
	for _, sp := range s.history().Faults {
		if sp.Fault.Kind == kind && !t.Before(sp.Fault.At) && (sp.Until.IsZero() || t.Before(sp.Until)) {
			out = append(out, &sp.Fault)
		}
	}
	return out
}

// outSince reports whether region was out at t and since when.
func (s *Server) outSince(region string, t time.Time) (time.Time, bool) {
	var since time.Time
	for _, f := range s.faultsAt(FaultRegionOutage, t) {
		if f.Region == region && (since.IsZero() || f.At.Before(since)) {
			since = f.At
		}
	}
	return since, !since.IsZero()
}

// lagAt is the replication-lag fault's extra lag at t.
func (s *Server) lagAt(t time.Time) time.Duration {
	var lag time.Duration
	for _, f := range s.faultsAt(FaultReplicationLag, t) {
		lag = max(lag, time.Duration(f.Seconds*float64(time.Second)))
	}
	return lag
}

func (s *Server) servingAt(t time.Time) string {
	fl := s.history().Serving
	r := fl[0].Region
	for _, f := range fl[1:] {
		if f.At.After(t) {
			break
		}
		r = f.Region
	}
	return r
}

func (s *Server) scaledAt(key string, t time.Time) bool {
	fl := s.history().Scaled[key]
	if len(fl) == 0 {
		return false
	}
	on := fl[0].On
	for _, f := range fl[1:] {
		if f.At.After(t) {
			break
		}
		on = f.On
	}
	return on
}

func (s *Server) fnDegradedAt(region, fn string, t time.Time) bool {
	for _, f := range s.faultsAt(FaultDegradedFunction, t) {
		if f.Function == fn && f.Region == region {
			return !s.scaledAt("function/"+region+"/"+fn, t)
		}
	}
	return false
}

func (s *Server) tableThrottledAt(region, table string, t time.Time) bool {
	for _, f := range s.faultsAt(FaultThrottledTable, t) {
		if f.Table == table && f.Region == region {
			return !s.scaledAt("table/"+region+"/"+table, t)
		}
	}
	return false
}

// ---- samples and statistics ----

// sample is a value CloudWatch received n times.
type sample struct{ v, n float64 }

// latGroup is a lognormal latency population: n requests around a median.
type latGroup struct{ n, median, sigma float64 }

// spread turns latency populations into quantile points with integer weights summing to each n.
func spread(groups ...latGroup) []sample {
	var out []sample
	for _, g := range groups {
		for i := 0; i < latencyPoints; i++ {
			w := math.Floor(float64(i+1)*g.n/latencyPoints) - math.Floor(float64(i)*g.n/latencyPoints)
			if w <= 0 {
				continue
			}
			z := math.Sqrt2 * math.Erfinv(2*(float64(i)+0.5)/latencyPoints-1)
			out = append(out, sample{math.Round(g.median*math.Exp(g.sigma*z)*100) / 100, w})
		}
	}
	return out
}

// counted is n events of which k had the condition: per-event 0/1 samples, so Sum counts them and
// Average is the rate (as API Gateway's 5XXError and Lambda's Errors are published).
func counted(k, n float64) []sample {
	return []sample{{1, k}, {0, n - k}}
}

// noise is a deterministic uniform value in [0, 1) for a series key, a minute and a salt.
func noise(key string, m time.Time, salt int) float64 {
	h := fnv.New64a()
	h.Write([]byte(key))
	var b [16]byte
	binary.LittleEndian.PutUint64(b[:8], uint64(m.Unix()))
	binary.LittleEndian.PutUint64(b[8:], uint64(salt))
	h.Write(b[:])
	x := h.Sum64()
	// splitmix64's finalizer: FNV alone correlates across consecutive minutes.
	x ^= x >> 30
	x *= 0xbf58476d1ce4e5b9
	x ^= x >> 27
	x *= 0x94d049bb133111eb
	x ^= x >> 31
	return float64(x>>11) / (1 << 53)
}

type aggregate struct {
	n, sum, min, max float64
	ss               []sample
	sorted           bool
}

func aggregateOf(ss []sample) (*aggregate, bool) {
	a := &aggregate{min: math.Inf(1), max: math.Inf(-1)}
	for _, x := range ss {
		if x.n <= 0 {
			continue
		}
		a.ss = append(a.ss, x)
		a.n += x.n
		a.sum += x.v * x.n
		a.min, a.max = min(a.min, x.v), max(a.max, x.v)
	}
	return a, a.n > 0
}

// value computes a statistic: SampleCount, Sum, Average, Minimum, Maximum or a percentile pNN.
func (a *aggregate) value(stat string) float64 {
	switch stat {
	case "SampleCount":
		return a.n
	case "Sum":
		return a.sum
	case "Average":
		return a.sum / a.n
	case "Minimum":
		return a.min
	case "Maximum":
		return a.max
	}
	p, _ := percentile(stat)
	if !a.sorted {
		sort.Slice(a.ss, func(i, j int) bool { return a.ss[i].v < a.ss[j].v })
		a.sorted = true
	}
	// Nearest rank over the weighted samples.
	rank, cum := max(p/100*a.n, 1), 0.0
	for _, x := range a.ss {
		if cum += x.n; cum >= rank-1e-9 {
			return x.v
		}
	}
	return a.max
}

var basicStats = []string{"SampleCount", "Average", "Sum", "Minimum", "Maximum"}

func isBasicStat(s string) bool {
	for _, b := range basicStats {
		if s == b {
			return true
		}
	}
	return false
}

var percentileRE = regexp.MustCompile(`^p(\d{1,2}(\.\d{1,2})?|100(\.0{1,2})?)$`)

// percentile parses "p95" or "p99.9" (CloudWatch allows p0 to p100 with up to two decimals).
func percentile(stat string) (float64, bool) {
	if !percentileRE.MatchString(stat) {
		return 0, false
	}
	p, err := strconv.ParseFloat(stat[1:], 64)
	return p, err == nil
}

// ---- the series each region publishes ----

// series is one metric with one set of dimension values, as ListMetrics shows it.
type series struct {
	ns, metric, unit string
	dims             map[string]string
	since            time.Time
	// minute returns the samples published in the minute starting at m, with the world as it was at at.
	minute func(m, at time.Time) []sample
}

// seriesIn lists every series a region publishes, in a stable order.
func (s *Server) seriesIn(region string) []series {
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

	fnNames := SortedKeys(reg.Functions)
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

	tables := SortedKeys(reg.Tables)
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

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

// apiMinute is one minute of a region's API traffic.
type apiMinute struct {
	requests, e5, e4 float64
	lat              []latGroup
}

// apiAt models a region's API in minute m: traffic follows DNS, a dead region fails everything, degraded
// functions and throttled tables turn their share of requests into slow 5XXs, stage throttling into 429s.
func (s *Server) apiAt(region string, m, at time.Time) apiMinute {
	key := region + "|api"
	rpm := float64(healthRPM) * (0.8 + 0.4*noise(key, m, 1))
	if s.servingAt(at) == region {
		rpm = servingRPM * (0.85 + 0.3*noise(key, m, 1))
	}
	n := math.Round(rpm)
	if _, out := s.outSince(region, at); out {
		return apiMinute{requests: n, e5: n, lat: []latGroup{{n, timeoutMS, 0.02}}}
	}
	a := apiMinute{requests: n}
	a.e5 = math.Floor(n*0.0005 + noise(key, m, 2))
	a.e4 = math.Round(n * 0.01 * (0.5 + noise(key, m, 3)))
	if lim := s.stageRateLimit(region); lim > 0 && n > lim*60 {
		a.e4 += n - lim*60
	}
	slow := 0.0
	fns, tables := s.topo.Functions, s.topo.Tables
	for _, fn := range fns {
		if s.fnDegradedAt(region, fn.Name, at) {
			share := n / float64(len(fns))
			a.e5 += math.Round(share * (degThrottle + (1-degThrottle)*degErrors))
			slow += share
		}
	}
	for _, tb := range tables {
		if s.tableThrottledAt(region, tb.Name, at) {
			share := n / float64(len(tables))
			a.e5 += math.Round(share * 0.05)
			slow += share
		}
	}
	a.e5 = min(a.e5, n)
	a.e4 = min(a.e4, n-a.e5)
	slow = math.Round(min(slow, n))
	a.lat = []latGroup{{n - slow, 45 * (0.9 + 0.2*noise(key, m, 4)), 0.5}}
	if slow > 0 {
		a.lat = append(a.lat, latGroup{slow, 900, 0.6})
	}
	return a
}

// stageRateLimit is the region's API stage-wide throttling rate (requests a second), 0 when none.
func (s *Server) stageRateLimit(region string) float64 {
	for _, api := range s.world.Regions[region].RestAPIs {
		if st := api.Stages[s.topo.API.Stage]; st != nil {
			if all := st.MethodSettings["*/*"]; all != nil {
				return all.ThrottlingRateLimit
			}
		}
	}
	return 0
}

type fnMinute struct {
	attempts, throttles, errors float64
	dur                         []latGroup
}

// fnAt models one function in minute m: each API request invokes one of the region's functions.
func (s *Server) fnAt(region, fn string, m, at time.Time) fnMinute {
	key := region + "|lambda|" + fn
	nfn := float64(max(len(s.world.Regions[region].Functions), 1))
	f := fnMinute{attempts: math.Round(s.apiAt(region, m, at).requests / nfn * (0.9 + 0.2*noise(key, m, 1)))}
	// Reserved concurrency 0 is how AWS switches a function off: every invocation is throttled.
	if g := s.world.Regions[region].Functions[fn]; g != nil && g.ReservedConcurrency != nil && *g.ReservedConcurrency == 0 {
		f.throttles = f.attempts
		return f
	}
	if s.fnDegradedAt(region, fn, at) {
		f.throttles = math.Round(f.attempts * degThrottle)
		inv := f.attempts - f.throttles
		f.errors = math.Round(inv * degErrors)
		f.dur = []latGroup{{inv - f.errors, 35, 0.4}, {f.errors, 3000, 0.3}}
		return f
	}
	if noise(key, m, 2) < 0.03 {
		f.errors = min(1, f.attempts)
	}
	f.dur = []latGroup{{f.attempts, 35 * (0.9 + 0.2*noise(key, m, 3)), 0.4}}
	return f
}

type tableMinute struct{ throttled, userErrors [4]float64 }

// tableAt models one table in minute m: API requests spread over the tables, plus background load.
func (s *Server) tableAt(region, table string, m, at time.Time) tableMinute {
	key := region + "|ddb|" + table
	reqs := s.apiAt(region, m, at).requests*2/float64(max(len(s.topo.Tables), 1)) + tableBaseRPM*(0.8+0.4*noise(key, m, 1))
	throttled := s.tableThrottledAt(region, table, at)
	var t tableMinute
	for i, op := range tableOps {
		if throttled {
			t.throttled[i] = math.Round(reqs * op.share * throttleShare * (0.9 + 0.2*noise(key, m, 10+i)))
		}
		if noise(key, m, 20+i) < 0.08 {
			t.userErrors[i] = 1
		}
	}
	return t
}

func sumOps(v [4]float64) float64 { return v[0] + v[1] + v[2] + v[3] }

// ---- queries ----

// findSeries returns the series with exactly these dimensions, as CloudWatch matches them.
func (s *Server) findSeries(region, ns, metric string, dims map[string]string) *series {
	for _, se := range s.seriesIn(region) {
		if se.ns == ns && se.metric == metric && sameDims(se.dims, dims) {
			return &se
		}
	}
	return nil
}

func sameDims(a, b map[string]string) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if bv, ok := b[k]; !ok || bv != v {
			return false
		}
	}
	return true
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
