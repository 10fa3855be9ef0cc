// Command worker runs the DR workflows and activities on the roadcall-dr task queue. Temporal is reached
// as the temporal CLI reaches it (its connection flags, TEMPORAL_* variables, profiles in temporal.toml:
// TLS, mTLS, API keys); AWS from the standard environment (AWS_ENDPOINT_URL for LocalStack or awssim,
// AWS_REGION, credentials).
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"syscall"
	"time"

	"go.uber.org/zap"

	"github.com/roadcall/dr/internal/awsclient"
	"github.com/roadcall/dr/internal/drworker"
	"github.com/roadcall/dr/internal/policy"
	"github.com/roadcall/dr/internal/temporalclient"
	"github.com/roadcall/dr/workflows"
)

func main() {
	fs := flag.NewFlagSet("worker", flag.ExitOnError)
	tc := temporalclient.Flags(fs)
	level := fs.String("log-level", "info", "debug, info, warn or error")
	stop := fs.Duration("stop-timeout", 10*time.Second, "on SIGINT/SIGTERM, how long running activities may finish before they are cancelled")
	policyFile := fs.String("policy", os.Getenv(policy.EnvVar), "the worker's policy file (default $"+policy.EnvVar+"): approvers, auto-approval, deploy commands, health hosts; without one, gated workflows refuse to run")
	metricsAddr := fs.String("metrics-addr", os.Getenv(temporalclient.MetricsAddrEnv), "serve Prometheus metrics (temporal_* and roadcall_dr_*) on HOST:PORT at /metrics (default $"+temporalclient.MetricsAddrEnv+"; empty: none)")
	_ = fs.Parse(os.Args[1:])

	log, err := temporalclient.NewLogger(*level)
	if err != nil {
		fmt.Fprintln(os.Stderr, "worker:", err)
		os.Exit(2)
	}
	defer func() { _ = log.Sync() }()
	conn, err := tc.Load()
	if err != nil {
		fmt.Fprintln(os.Stderr, "worker:", err)
		os.Exit(2)
	}
	var pol *policy.File
	if *policyFile != "" {
		f, err := policy.Load(*policyFile)
		if err != nil {
			fmt.Fprintln(os.Stderr, "worker:", err)
			os.Exit(2)
		}
		pol = &f
	}
	// Bound before Temporal is dialed: a taken or malformed address is refused at start, not after.
	metrics, err := temporalclient.ListenMetrics(*metricsAddr, func(err error) { log.Warn("metrics", zap.Error(err)) })
	if err != nil {
		fmt.Fprintln(os.Stderr, "worker:", err)
		os.Exit(2)
	}
	if metrics != nil {
		defer func() { _ = metrics.Close() }()
		conn.Options.MetricsHandler = metrics.Handler()
		go func() {
			if err := metrics.Serve(); err != nil {
				log.Error("metrics endpoint stopped", zap.Error(err))
			}
		}()
		log.Info("metrics listening", zap.String("url", "http://"+metrics.Addr()+temporalclient.MetricsPath))
	}
	if err := run(log, conn, *stop, pol, *policyFile); err != nil {
		log.Error("worker stopped", zap.Error(err))
		os.Exit(1)
	}
}

func run(log *zap.Logger, conn temporalclient.Connection, stop time.Duration, pol *policy.File, policyFile string) error {
	ctx, cancel := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer cancel()
	acts, err := drworker.Activities(ctx, awsclient.Options{})
	if err != nil {
		return err
	}
	acts.Policy, acts.PolicySource = pol, policyFile
	acts.Memos = temporalclient.CodecDataConverter(conn.Codec)
	if pol == nil {
		log.Warn("no policy: gated workflows will refuse to run; give --policy FILE or " + policy.EnvVar + " (see examples/policy-local.json)")
	}
	c, err := conn.Dial(ctx, log)
	if err != nil {
		return err
	}
	defer c.Close()
	endpoint := acts.AWS.Endpoint()
	if endpoint == "" {
		endpoint = "AWS (default endpoints)"
	}
	log.Info("worker starting", zap.Stringer("temporal", conn),
		zap.String("taskQueue", workflows.TaskQueue), zap.String("aws", endpoint), zap.String("awsRegion", acts.AWS.Base.Region))
	err = drworker.Run(ctx, c, acts, stop)
	log.Info("worker stopped")
	return err
}
