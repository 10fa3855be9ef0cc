package temporalclient

import (
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"
)

// TestListenMetricsServesCountersAndHistogramsInSeconds: what goes through the SDK handler comes out of
// /metrics with Prometheus' suffixes, and timers use the seconds buckets, not OpenTelemetry's defaults.
func TestListenMetricsServesCountersAndHistogramsInSeconds(t *testing.T) {
	m, err := ListenMetrics("127.0.0.1:0", func(err error) { t.Errorf("instrument error: %v", err) })
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	go func() { _ = m.Serve() }()
	h := m.Handler().WithTags(map[string]string{"scenario": "ReadinessCheck"})
	h.Counter("roadcall_dr_test_runs").Inc(3)
	h.Timer("roadcall_dr_test_wait").Record(1500 * time.Millisecond)
	h.Gauge("roadcall_dr_test_last_seconds").Update(42.5)

	resp, err := http.Get("http://" + m.Addr() + MetricsPath)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	body := string(b)
	for _, want := range []string{
		`roadcall_dr_test_runs_total{scenario="ReadinessCheck"} 3`,
		`roadcall_dr_test_wait_seconds_bucket{scenario="ReadinessCheck",le="1"} 0`,
		`roadcall_dr_test_wait_seconds_bucket{scenario="ReadinessCheck",le="2.5"} 1`,
		`roadcall_dr_test_wait_seconds_sum{scenario="ReadinessCheck"} 1.5`,
		`roadcall_dr_test_last_seconds{scenario="ReadinessCheck"} 42.5`,
		"go_goroutines ",
	} {
		if !strings.Contains(body, want) {
			t.Errorf("/metrics lacks %s", want)
		}
	}
	if t.Failed() {
		t.Logf("/metrics:\n%s", body)
	}
}

func TestListenMetricsRefusesNamingTheSetting(t *testing.T) {
	taken, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer taken.Close()
	for addr, want := range map[string]string{
		taken.Addr().String():       "address already in use",
		"localhost":                 "want HOST:PORT",
		"127.0.0.1:http":            "is not a number",
		"no.such.host.invalid:9464": "neither an IP address nor a name that resolves",
	} {
		m, err := ListenMetrics(addr, nil)
		if err == nil {
			_ = m.Close()
			t.Errorf("%s: accepted", addr)
			continue
		}
		if !IsSettingError(err) || !strings.Contains(err.Error(), "--metrics-addr ("+MetricsAddrEnv+")") || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: %v; want a setting error naming --metrics-addr and %s saying %q", addr, err, MetricsAddrEnv, want)
		}
	}
	if m, err := ListenMetrics("", nil); m != nil || err != nil {
		t.Errorf("empty address: %v, %v; want no endpoint and no error", m, err)
	}
}
