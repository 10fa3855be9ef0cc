package temporalclient

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strconv"
	"syscall"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	otelprom "go.opentelemetry.io/otel/exporters/prometheus"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.temporal.io/sdk/client"
	sdkotel "go.temporal.io/sdk/contrib/opentelemetry"
)

// MetricsAddrEnv is the worker's --metrics-addr from the environment.
const MetricsAddrEnv = "ROADCALL_METRICS_ADDR"

// metricsSetting names the setting in every refusal, both spellings, so an operator finds it whichever
// one they used.
const metricsSetting = "--metrics-addr (" + MetricsAddrEnv + ")"

// MetricsPath is where the endpoint serves the Prometheus text format.
const MetricsPath = "/metrics"

// secondsBuckets suit both the SDK's latencies (milliseconds to seconds) and the DR timers (a step or a
// gate wait: seconds to hours). OpenTelemetry's default buckets (0..10000) are meant for milliseconds and
// would put every SDK latency in the first bucket.
var secondsBuckets = []float64{0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600, 1200, 1800, 3600, 7200, 14400}

// Metrics is one Prometheus registry fed by one OpenTelemetry meter: the SDK's temporal_* metrics and the
// workflows' roadcall_dr_* metrics (emitted through workflow.GetMetricsHandler, which is this handler) come
// out of the same /metrics, with the Go runtime and process collectors beside them.
//
// Why OpenTelemetry rather than tally: the SDK's tally contrib (go.temporal.io/sdk/contrib/tally) is not
// available from our module proxy, and tally itself is in maintenance mode, while the SDK's OpenTelemetry
// contrib is the path Temporal documents now and its Prometheus exporter writes straight into a
// client_golang registry. Counters are monotonic (UseMonotonicCounters) so they export as Prometheus
// counters (name_total) rather than gauges; timers are histograms in seconds (name_seconds).
type Metrics struct {
	Registry *prometheus.Registry
	provider *sdkmetric.MeterProvider
	handler  client.MetricsHandler
	ln       net.Listener
	srv      *http.Server
}

// NewMetrics builds the registry and the SDK metrics handler without listening anywhere (tests scrape
// Registry directly). onError receives instrument errors, which the contrib would otherwise panic on.
func NewMetrics(onError func(error)) (*Metrics, error) {
	reg := prometheus.NewRegistry()
	if err := reg.Register(collectors.NewGoCollector()); err != nil {
		return nil, err
	}
	if err := reg.Register(collectors.NewProcessCollector(collectors.ProcessCollectorOpts{})); err != nil {
		return nil, err
	}
	// Scope labels (otel_scope_*) would be the same on every series: one meter serves everything.
	exp, err := otelprom.New(otelprom.WithRegisterer(reg), otelprom.WithoutScopeInfo())
	if err != nil {
		return nil, fmt.Errorf("metrics: prometheus exporter: %w", err)
	}
	view := sdkmetric.NewView(sdkmetric.Instrument{Kind: sdkmetric.InstrumentKindHistogram},
		sdkmetric.Stream{Aggregation: sdkmetric.AggregationExplicitBucketHistogram{Boundaries: secondsBuckets}})
	provider := sdkmetric.NewMeterProvider(sdkmetric.WithReader(exp), sdkmetric.WithView(view))
	if onError == nil {
		onError = func(error) {}
	}
	h := sdkotel.NewMetricsHandler(sdkotel.MetricsHandlerOptions{
		Meter: provider.Meter("temporal-sdk-go"), OnError: onError, UseMonotonicCounters: true})
	return &Metrics{Registry: reg, provider: provider, handler: h}, nil
}

// ListenMetrics checks addr and binds it, before anything connects to Temporal, so a malformed or taken
// address is refused at start with the setting's name. An empty addr means no endpoint: nil, nil.
func ListenMetrics(addr string, onError func(error)) (*Metrics, error) {
	if addr == "" {
		return nil, nil
	}
	if err := checkMetricsAddr(addr); err != nil {
		return nil, err
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		if errors.Is(err, syscall.EADDRINUSE) {
			return nil, settingErr("%s %s: address already in use: another process listens there; pick a free port or stop it", metricsSetting, addr)
		}
		return nil, settingErr("%s %s: cannot listen: %v", metricsSetting, addr, unwrapOp(err))
	}
	m, err := NewMetrics(onError)
	if err != nil {
		_ = ln.Close()
		return nil, err
	}
	m.ln = ln
	mux := http.NewServeMux()
	mux.Handle(MetricsPath, promhttp.HandlerFor(m.Registry, promhttp.HandlerOpts{Registry: m.Registry}))
	m.srv = &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	return m, nil
}

func checkMetricsAddr(addr string) error {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return settingErr("%s %q: want HOST:PORT, e.g. 127.0.0.1:9464 or :9464 (all interfaces)", metricsSetting, addr)
	}
	if n, err := strconv.Atoi(port); err != nil || n < 0 || n > 65535 {
		return settingErr("%s %q: port %q is not a number from 0 to 65535", metricsSetting, addr, port)
	}
	if host != "" && net.ParseIP(host) == nil {
		if _, err := net.LookupHost(host); err != nil {
			return settingErr("%s %q: host %q is neither an IP address nor a name that resolves", metricsSetting, addr, host)
		}
	}
	return nil
}

// unwrapOp drops net.OpError's "listen tcp ADDR:" prefix, which would repeat the address.
func unwrapOp(err error) error {
	var op *net.OpError
	if errors.As(err, &op) && op.Err != nil {
		return op.Err
	}
	return err
}

// Handler is the SDK metrics handler: client.Options.MetricsHandler.
func (m *Metrics) Handler() client.MetricsHandler { return m.handler }

// Addr is the bound address (the port chosen when PORT was 0).
func (m *Metrics) Addr() string { return m.ln.Addr().String() }

// Serve serves /metrics until Close; it returns nil after Close.
func (m *Metrics) Serve() error {
	if err := m.srv.Serve(m.ln); !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

// Close stops the endpoint and the meter provider.
func (m *Metrics) Close() error {
	var errs []error
	if m.srv != nil {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		errs = append(errs, m.srv.Shutdown(ctx))
		// Shutdown closes only listeners Serve has taken; a worker that stopped before serving still holds it.
		if err := m.ln.Close(); err != nil && !errors.Is(err, net.ErrClosed) {
			errs = append(errs, err)
		}
	}
	errs = append(errs, m.provider.Shutdown(context.Background()))
	return errors.Join(errs...)
}
