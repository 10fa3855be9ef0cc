package activities

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"go.temporal.io/sdk/temporal"
)

// Resolution is DNS, Route 53's data plane: it keeps answering through a us-east-1 impairment, so the
// failover observes traffic moving through it instead of through Route 53's API.

// RegionTarget is the alias target that serves a region: the name whose addresses answer for it.
type RegionTarget struct {
	Region  string `json:"region"`
	DNSName string `json:"dnsName"`
}

// ResolveQuery asks which region NAME/TYPE resolves to now; Targets tell a DNS answer's region.
type ResolveQuery struct {
	Name    string         `json:"name"`
	Type    string         `json:"type"`
	Targets []RegionTarget `json:"targets"`
}

// Resolution is which region answers, and why.
type Resolution struct {
	// Region is the region whose target answers; empty when no region's does.
	Region string `json:"region,omitempty"`
	Reason string `json:"reason,omitempty"`
	// Record is the record set that answered, as awssim reports it.
	Record json.RawMessage `json:"record,omitempty"`
	// Answers are the addresses a DNS query returned.
	Answers []string `json:"answers,omitempty"`
	// Source is what answered: "awssim" or "dns".
	Source string `json:"source"`
}

func (r Resolution) String() string {
	s := orText(r.Region, "no region")
	if r.Reason != "" {
		s += " (" + r.Reason + ")"
	}
	return s
}

// Resolver answers what region a name resolves to now, and why.
type Resolver interface {
	Resolve(ctx context.Context, q ResolveQuery) (Resolution, error)
}

// Error types of resolution that waiting cannot fix.
const (
	ErrNameNotFound = "DNSNameNotFound"
	// ErrResolutionNotMoved: resolution still did not answer the wanted region when the wait's time ran out.
	ErrResolutionNotMoved = "ResolutionNotMoved"
)

// resolver is a.Resolver, else awssim's /_sim/dns when the worker's AWS endpoint is an awssim, else DNS.
func (a *Activities) resolver(ctx context.Context) (Resolver, error) {
	if a.Resolver != nil {
		return a.Resolver, nil
	}
	if a.AWS != nil && a.AWS.Endpoint() != "" {
		info, err := a.DetectSimulator(ctx)
		if err != nil {
			return nil, err
		}
		if info.Simulator {
			return SimResolver{Endpoint: info.Endpoint, HTTP: a.HTTP}, nil
		}
	}
	if a.Getenv != nil {
		if server := a.Getenv(DNSServerEnv); server != "" {
			return DNSResolver{Lookup: directResolver(server)}, nil
		}
	}
	return DNSResolver{Lookup: net.DefaultResolver}, nil
}

// DNSServerEnv names the worker's environment variable with a name server (host:port) to ask directly,
// e.g. one of the hosted zone's Route 53 name servers: a recursive resolver's cache would answer the old
// region until the record's TTL runs out.
const DNSServerEnv = "DR_DNS_SERVER"

func directResolver(server string) *net.Resolver {
	return &net.Resolver{PreferGo: true, Dial: func(ctx context.Context, network, _ string) (net.Conn, error) {
		var d net.Dialer
		return d.DialContext(ctx, network, server)
	}}
}

// Resolve answers once what region the name resolves to.
func (a *Activities) Resolve(ctx context.Context, q ResolveQuery) (Resolution, error) {
	res, err := a.resolver(ctx)
	if err != nil {
		return Resolution{}, err
	}
	return res.Resolve(ctx, q)
}

// ResolutionWait waits until the name resolves to Want.
type ResolutionWait struct {
	ResolveQuery
	Want string `json:"want"`
	// Within is how long resolution may take to answer Want; past it the wait fails without retries,
	// its details the last Resolution. 0 waits until the activity's timeout.
	Within time.Duration `json:"within,omitempty"`
}

// ResolutionState is the answer that ended the wait.
type ResolutionState struct {
	Resolution
	Progress Progress `json:"progress"`
}

// WaitResolution polls resolution, heartbeating the last answer and its reason, until it answers Want. A
// resolver error that can get better (a timeout, a simulator restarting) is a poll seen, not a failure.
func (a *Activities) WaitResolution(ctx context.Context, in ResolutionWait) (ResolutionState, error) {
	res, err := a.resolver(ctx)
	if err != nil {
		return ResolutionState{}, err
	}
	var st ResolutionState
	p, err := a.waitWithin(ctx, in.Within, func(ctx context.Context) (bool, string, error) {
		r, err := res.Resolve(ctx, in.ResolveQuery)
		if err != nil {
			var ae *temporal.ApplicationError
			if errors.As(err, &ae) && ae.NonRetryable() {
				return false, "", err
			}
			return false, "resolver: " + err.Error(), nil
		}
		st.Resolution = r
		return r.Region == in.Want, r.String(), nil
	})
	st.Progress = p
	if errors.Is(err, errPastWithin) {
		return st, temporal.NewNonRetryableApplicationError(fmt.Sprintf("%s %s still resolves to %s after %s, not %s",
			in.Name, in.Type, p.LastSeen, in.Within, in.Want), ErrResolutionNotMoved, nil, st.Resolution)
	}
	return st, err
}

// SimResolver asks awssim how Route 53 would answer now: GET <endpoint>/_sim/dns?name=NAME&type=TYPE.
type SimResolver struct {
	Endpoint string
	HTTP     *http.Client
}

func (s SimResolver) Resolve(ctx context.Context, q ResolveQuery) (Resolution, error) {
	u := strings.TrimSuffix(s.Endpoint, "/") + "/_sim/dns?" + url.Values{"name": {q.Name}, "type": {q.Type}}.Encode()
	c, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(c, http.MethodGet, u, nil)
	if err != nil {
		return Resolution{}, refuse("InvalidInput", "awssim /_sim/dns %s: %v", u, err)
	}
	hc := s.HTTP
	if hc == nil {
		hc = http.DefaultClient
	}
	resp, err := hc.Do(req)
	if err != nil {
		return Resolution{}, temporal.NewApplicationError(fmt.Sprintf("awssim GET %s: %v", u, err), "NetworkError")
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	return decodeSimDNS(q, resp.StatusCode, b)
}

// decodeSimDNS reads /_sim/dns's answer: {"region": ..., "record": {...}, "reason": ...}.
func decodeSimDNS(q ResolveQuery, status int, b []byte) (Resolution, error) {
	var out struct {
		Region string          `json:"region"`
		Record json.RawMessage `json:"record"`
		Reason string          `json:"reason"`
		Error  string          `json:"error"`
	}
	jsonErr := json.Unmarshal(b, &out)
	switch {
	case status >= 500:
		return Resolution{}, temporal.NewApplicationError(fmt.Sprintf("awssim /_sim/dns %s %s answered HTTP %d %s", q.Name, q.Type, status, snippet(b)), "SimUnavailable")
	case status == http.StatusNotFound:
		return Resolution{}, refuse(ErrNameNotFound, "%s %s: awssim has no such record (%s); check dns.recordName and dns.recordType", q.Name, q.Type, orText(out.Error, snippet(b)))
	case status >= 300:
		return Resolution{}, refuse("SimDNSRejected", "awssim /_sim/dns %s %s refused: HTTP %d %s", q.Name, q.Type, status, snippet(b))
	case jsonErr != nil:
		return Resolution{}, refuse(ErrNotSimulator, "awssim /_sim/dns %s %s: unexpected answer %s: %v", q.Name, q.Type, snippet(b), jsonErr)
	}
	rec := out.Record
	if string(rec) == "null" {
		rec = nil
	}
	return Resolution{Region: out.Region, Reason: out.Reason, Record: rec, Source: "awssim"}, nil
}

// IPLookup is the part of *net.Resolver DNSResolver uses.
type IPLookup interface {
	LookupIP(ctx context.Context, network, host string) ([]net.IP, error)
}

// DNSResolver resolves the name and each region's alias target and says whose addresses answer. An alias
// record answers with its target's addresses, so the region whose target shares them is the one served.
type DNSResolver struct {
	Lookup IPLookup
}

func (d DNSResolver) Resolve(ctx context.Context, q ResolveQuery) (Resolution, error) {
	network := "ip4"
	if q.Type == "AAAA" {
		network = "ip6"
	}
	answers, err := d.lookup(ctx, network, q.Name)
	if err != nil {
		return Resolution{}, err
	}
	res := Resolution{Answers: answers, Source: "dns"}
	var matched, unread []string
	for _, tg := range q.Targets {
		addrs, err := d.lookup(ctx, network, tg.DNSName)
		if err != nil {
			unread = append(unread, fmt.Sprintf("%s's target %s: %s", tg.Region, tg.DNSName, errText(err)))
			continue
		}
		if slices.ContainsFunc(answers, func(s string) bool { return slices.Contains(addrs, s) }) {
			matched = append(matched, tg.Region)
		}
	}
	who := fmt.Sprintf("%s answers %s", q.Name, strings.Join(answers, ", "))
	switch len(matched) {
	case 1:
		res.Region = matched[0]
		res.Reason = fmt.Sprintf("%s, addresses of %s's alias target", who, matched[0])
	case 0:
		res.Reason = who + ", which are no region's alias target addresses"
	default:
		res.Reason = fmt.Sprintf("%s, shared by the targets of %s: cannot tell the region", who, strings.Join(matched, " and "))
	}
	if len(unread) > 0 {
		res.Reason += "; unresolved: " + strings.Join(unread, "; ")
	}
	return res, nil
}

func (d DNSResolver) lookup(ctx context.Context, network, host string) ([]string, error) {
	c, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	ips, err := d.Lookup.LookupIP(c, network, strings.TrimSuffix(host, "."))
	if err != nil {
		var de *net.DNSError
		if errors.As(err, &de) && de.IsNotFound {
			return nil, refuse(ErrNameNotFound, "%s: no such name in DNS (%v); check dns.recordName and the zone's delegation", host, err)
		}
		return nil, temporal.NewApplicationError(fmt.Sprintf("DNS lookup of %s: %v", host, err), "DNSLookupFailed")
	}
	out := make([]string, 0, len(ips))
	for _, ip := range ips {
		out = append(out, ip.String())
	}
	slices.Sort(out)
	return out, nil
}

func errText(err error) string {
	var ae *temporal.ApplicationError
	if errors.As(err, &ae) {
		return ae.Message()
	}
	return err.Error()
}

func orText(a, b string) string {
	if a != "" {
		return a
	}
	return b
}
