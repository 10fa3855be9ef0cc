package awssim

import (
	"encoding/binary"
	"hash/fnv"
	"math"
	"regexp"
	"sort"
	"strconv"
	"time"
)

// CloudWatch's statistics: weighted samples, their aggregates and percentiles, and the periods a query's
// datapoints fall in.

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

func cwStatValid(stat string) bool {
	_, p := percentile(stat)
	return isBasicStat(stat) || p
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
