package awssim

import (
	"math"
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

// RegionFlip is a change of the region DNS sends traffic to; the first has a zero At.
type RegionFlip struct {
	At     time.Time `json:"at,omitzero"`
	Region string    `json:"region"`
}

func (f Flip) at() time.Time       { return f.At }
func (f RegionFlip) at() time.Time { return f.At }

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

// servingAt is the region DNS sent traffic to at t.
func (s *Server) servingAt(t time.Time) string {
	return flipAt(s.history().Serving, t).Region
}

// scaledAt reports whether the resource under key had been scaled past its fault at t.
func (s *Server) scaledAt(key string, t time.Time) bool {
	fl := s.history().Scaled[key]
	if len(fl) == 0 {
		return false
	}
	return flipAt(fl, t).On
}

// flipAt is the flip in effect at t: the last one not after t, the first (which holds from the beginning)
// when none is. fl must not be empty.
func flipAt[F interface{ at() time.Time }](fl []F, t time.Time) F {
	cur := fl[0]
	for _, f := range fl[1:] {
		if f.at().After(t) {
			break
		}
		cur = f
	}
	return cur
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

// ---- the traffic model ----

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
