package activities

import (
	"context"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/aws/smithy-go"
	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/temporal"

	"github.com/roadcall/dr/internal/awsclient"
)

var roadcallTargets = []RegionTarget{
	{Region: "us-east-1", DNSName: "api-us-east-1.execute-api.us-east-1.amazonaws.com"},
	{Region: "us-west-2", DNSName: "api-us-west-2.execute-api.us-west-2.amazonaws.com"},
}

func appErr(t *testing.T, err error) *temporal.ApplicationError {
	t.Helper()
	var ae *temporal.ApplicationError
	require.True(t, errors.As(err, &ae), "%v is not an application error", err)
	return ae
}

func TestSimResolverReadsSimDNS(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		require.Equal(t, "/_sim/dns", r.URL.Path)
		require.Equal(t, "api.roadcall.example.com", r.URL.Query().Get("name"))
		require.Equal(t, "A", r.URL.Query().Get("type"))
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{"region":"us-west-2","record":{"Name":"api.roadcall.example.com.","SetIdentifier":"DR-Region","Failover":"SECONDARY"},` +
			`"reason":"PRIMARY unhealthy: routing control roadcall-primary OFF","extra":1}`))
	}))
	defer srv.Close()
	res, err := SimResolver{Endpoint: srv.URL + "/"}.Resolve(context.Background(), ResolveQuery{Name: "api.roadcall.example.com", Type: "A", Targets: roadcallTargets})
	require.NoError(t, err)
	require.Equal(t, "us-west-2", res.Region)
	require.Equal(t, "PRIMARY unhealthy: routing control roadcall-primary OFF", res.Reason)
	require.JSONEq(t, `{"Name":"api.roadcall.example.com.","SetIdentifier":"DR-Region","Failover":"SECONDARY"}`, string(res.Record))
	require.Equal(t, "awssim", res.Source)
}

func TestDecodeSimDNSClassifiesWhatCanGetBetter(t *testing.T) {
	q := ResolveQuery{Name: "api.roadcall.example.com", Type: "A"}
	_, err := decodeSimDNS(q, 503, []byte("down"))
	require.False(t, appErr(t, err).NonRetryable(), "a simulator answering 5xx may answer later")

	_, err = decodeSimDNS(q, 404, []byte(`{"error":"no record api.roadcall.example.com A"}`))
	ae := appErr(t, err)
	require.True(t, ae.NonRetryable())
	require.Equal(t, ErrNameNotFound, ae.Type())
	require.Contains(t, ae.Message(), "dns.recordName")

	_, err = decodeSimDNS(q, 200, []byte("<html>"))
	require.Equal(t, ErrNotSimulator, appErr(t, err).Type())

	res, err := decodeSimDNS(q, 200, []byte(`{"region":"","record":null,"reason":"no healthy record"}`))
	require.NoError(t, err)
	require.Empty(t, res.Region)
	require.Nil(t, res.Record)
	require.Equal(t, "no region (no healthy record)", res.String())
}

type fakeLookup map[string][]string

func (f fakeLookup) LookupIP(_ context.Context, network, host string) ([]net.IP, error) {
	addrs, ok := f[host]
	if !ok {
		return nil, &net.DNSError{Err: "no such host", Name: host, IsNotFound: true}
	}
	var out []net.IP
	for _, a := range addrs {
		out = append(out, net.ParseIP(a))
	}
	return out, nil
}

func TestDNSResolverMatchesTheAnswerWithARegionsTarget(t *testing.T) {
	lookup := fakeLookup{
		"api.roadcall.example.com":                          {"52.1.0.2", "52.1.0.1"},
		"api-us-east-1.execute-api.us-east-1.amazonaws.com": {"3.3.3.3"},
		"api-us-west-2.execute-api.us-west-2.amazonaws.com": {"52.1.0.1", "52.1.0.9"},
	}
	q := ResolveQuery{Name: "api.roadcall.example.com.", Type: "A", Targets: roadcallTargets}
	res, err := DNSResolver{Lookup: lookup}.Resolve(context.Background(), q)
	require.NoError(t, err)
	require.Equal(t, "us-west-2", res.Region)
	require.Equal(t, []string{"52.1.0.1", "52.1.0.2"}, res.Answers)
	require.Contains(t, res.Reason, "us-west-2's alias target")

	lookup["api.roadcall.example.com"] = []string{"9.9.9.9"}
	res, err = DNSResolver{Lookup: lookup}.Resolve(context.Background(), q)
	require.NoError(t, err)
	require.Empty(t, res.Region)
	require.Contains(t, res.Reason, "no region's alias target")

	delete(lookup, "api.roadcall.example.com")
	_, err = DNSResolver{Lookup: lookup}.Resolve(context.Background(), q)
	ae := appErr(t, err)
	require.Equal(t, ErrNameNotFound, ae.Type())
	require.True(t, ae.NonRetryable())
}

// scriptedResolver answers the regions in turn, then the last one forever.
type scriptedResolver struct {
	mu      sync.Mutex
	answers []Resolution
	errs    []error
	calls   int
}

func (s *scriptedResolver) Resolve(context.Context, ResolveQuery) (Resolution, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	i := min(s.calls, len(s.answers)-1)
	s.calls++
	if i < len(s.errs) && s.errs[i] != nil {
		return Resolution{}, s.errs[i]
	}
	return s.answers[i], nil
}

func TestWaitResolutionPollsUntilTheWantedRegionAnswers(t *testing.T) {
	east := Resolution{Region: "us-east-1", Reason: "PRIMARY healthy"}
	west := Resolution{Region: "us-west-2", Reason: "PRIMARY unhealthy: health check failing"}
	r := &scriptedResolver{answers: []Resolution{east, {}, east, west}, errs: []error{nil, temporal.NewApplicationError("timeout", "DNSLookupFailed")}}
	acts := &Activities{Resolver: r, PollInterval: time.Millisecond}
	st, err := acts.WaitResolution(context.Background(), ResolutionWait{ResolveQuery: ResolveQuery{Name: "api", Type: "A"}, Want: "us-west-2"})
	require.NoError(t, err)
	require.Equal(t, "us-west-2", st.Region)
	require.Equal(t, 4, st.Progress.Polls, "a resolver error that can get better is a poll, not a failure")
	require.Equal(t, "us-west-2 (PRIMARY unhealthy: health check failing)", st.Progress.LastSeen)
}

func TestWaitResolutionGivesUpWithTheLastAnswer(t *testing.T) {
	east := Resolution{Region: "us-east-1", Reason: "PRIMARY healthy: health check hc-roadcall-api-us-east-1 passes"}
	acts := &Activities{Resolver: &scriptedResolver{answers: []Resolution{east}}, PollInterval: 5 * time.Millisecond}
	_, err := acts.WaitResolution(context.Background(), ResolutionWait{ResolveQuery: ResolveQuery{Name: "api", Type: "A"}, Want: "us-west-2", Within: 30 * time.Millisecond})
	ae := appErr(t, err)
	require.Equal(t, ErrResolutionNotMoved, ae.Type())
	require.True(t, ae.NonRetryable())
	require.Contains(t, ae.Message(), "still resolves to us-east-1 (PRIMARY healthy")
	var last Resolution
	require.NoError(t, ae.Details(&last))
	require.Equal(t, east, last)

	nx := refuse(ErrNameNotFound, "no such name")
	acts = &Activities{Resolver: &scriptedResolver{answers: []Resolution{{}}, errs: []error{nx}}, PollInterval: time.Millisecond}
	_, err = acts.WaitResolution(context.Background(), ResolutionWait{ResolveQuery: ResolveQuery{Name: "api", Type: "A"}, Want: "us-west-2"})
	require.Equal(t, ErrNameNotFound, appErr(t, err).Type(), "an error that cannot get better fails at once")
}

type fakeAPIError struct{ code string }

func (e fakeAPIError) Error() string                 { return e.code }
func (e fakeAPIError) ErrorCode() string             { return e.code }
func (e fakeAPIError) ErrorMessage() string          { return "m" }
func (e fakeAPIError) ErrorFault() smithy.ErrorFault { return smithy.FaultServer }

func TestRoute53ErrorsTellAnUnreachableControlPlane(t *testing.T) {
	refused := &net.OpError{Op: "dial", Net: "tcp", Err: errors.New("connect: connection refused")}
	ae := appErr(t, classifyRoute53(refused, "route53:ChangeResourceRecordSets", "api A"))
	require.Equal(t, ErrControlPlaneUnreachable, ae.Type())
	require.False(t, ae.NonRetryable())
	require.Contains(t, ae.Message(), "control plane (us-east-1)")

	require.Equal(t, ErrControlPlaneUnreachable, appErr(t, classifyRoute53(fakeAPIError{"ServiceUnavailable"}, "route53:GetChange", "C1")).Type())
	ae = appErr(t, classifyRoute53(fakeAPIError{"NoSuchHealthCheck"}, "route53:GetHealthCheckStatus", "hc"))
	require.Equal(t, "NoSuchHealthCheck", ae.Type())
	require.True(t, ae.NonRetryable())
}

func TestResolverChoice(t *testing.T) {
	fixed := &scriptedResolver{answers: []Resolution{{Region: "us-west-2"}}}
	r, err := (&Activities{Resolver: fixed}).resolver(context.Background())
	require.NoError(t, err)
	require.Same(t, fixed, r)

	r, err = (&Activities{Getenv: func(string) string { return "" }}).resolver(context.Background())
	require.NoError(t, err)
	require.Equal(t, DNSResolver{Lookup: net.DefaultResolver}, r, "no simulator and no name server: the system's resolver")

	r, err = (&Activities{Getenv: func(k string) string {
		if k == DNSServerEnv {
			return "ns-1.awsdns-01.org:53"
		}
		return ""
	}}).resolver(context.Background())
	require.NoError(t, err)
	require.NotEqual(t, net.DefaultResolver, r.(DNSResolver).Lookup, "a name server given is asked directly")
}

// An AWS endpoint that answers awssim's control API is asked /_sim/dns; any other custom endpoint
// (LocalStack) leaves resolution to DNS.
func TestResolverDetectsTheSimulator(t *testing.T) {
	sim := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte("[]"))
	}))
	defer sim.Close()
	other := httptest.NewServer(http.NotFoundHandler())
	defer other.Close()
	for url, sim := range map[string]bool{sim.URL: true, other.URL: false} {
		f, err := awsclient.New(context.Background(), awsclient.Static(url))
		require.NoError(t, err)
		r, err := New(f).resolver(context.Background())
		require.NoError(t, err)
		_, isSim := r.(SimResolver)
		require.Equal(t, sim, isSim, url)
	}
}
