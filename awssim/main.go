// Command awssim serves the two-region AWS control-plane simulator: point AWS_ENDPOINT_URL (or the AWS CLI's
// --endpoint-url) at it. Control API under /_sim/ (state, faults, reset, journal, health/<region>).
package main

import (
	"context"
	"flag"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/roadcall/dr/internal/awssim"
	"github.com/roadcall/dr/internal/iam"
	"github.com/roadcall/dr/internal/topology"
)

func main() {
	fs := flag.NewFlagSet("awssim", flag.ExitOnError)
	listen := fs.String("listen", "127.0.0.1:4566", "host:port to serve on")
	topoPath := fs.String("topology", "examples/roadcall-local.json", "topology file that seeds the world")
	scale := fs.Float64("time-scale", 0.01, "multiplies AWS's modeled durations: 1 is real time, 0.01 turns a 20 min restore into 12 s, 0 finishes on the next read")
	level := fs.String("log-level", "info", "debug, info, warn or error")
	identitiesPath := fs.String("identities", "", "JSON list of IAM identities {name, arn, accessKeyId, secretAccessKey} whose SigV4 signatures STS verifies (examples/sim-identities.json); empty: STS answers everyone as the operator role")
	enforcePath := fs.String("enforce-policy", "", "IAM policy JSON (starter iam-policy prints the worker's): every call it does not allow is answered with the service's AccessDenied; empty: everything is allowed")
	_ = fs.Parse(os.Args[1:])

	var lvl slog.Level
	if err := lvl.UnmarshalText([]byte(*level)); err != nil {
		fmt.Fprintf(os.Stderr, "awssim: --log-level %q: want debug, info, warn or error\n", *level)
		os.Exit(2)
	}
	log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: lvl}))
	if *scale < 0 {
		fmt.Fprintln(os.Stderr, "awssim: --time-scale must be >= 0")
		os.Exit(2)
	}
	topo, err := topology.Load(*topoPath)
	if err != nil {
		fmt.Fprintln(os.Stderr, "awssim:", err)
		os.Exit(2)
	}
	var ids []awssim.Identity
	if *identitiesPath != "" {
		if ids, err = awssim.LoadIdentities(*identitiesPath); err != nil {
			fmt.Fprintln(os.Stderr, "awssim:", err)
			os.Exit(2)
		}
	}
	var enforced *iam.Document
	if *enforcePath != "" {
		doc, err := iam.Load(*enforcePath)
		if err != nil {
			fmt.Fprintln(os.Stderr, "awssim:", err)
			os.Exit(2)
		}
		enforced = &doc
	}
	if err := serve(log, topo, *listen, *scale, ids, enforced); err != nil {
		log.Error("awssim stopped", "err", err)
		os.Exit(1)
	}
}

func serve(log *slog.Logger, topo topology.Topology, addr string, scale float64, ids []awssim.Identity, enforced *iam.Document) error {
	ctx, cancel := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer cancel()
	// Listen first so the printed address is real (":0" picks a free port) before anyone is told to use it.
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", addr, err)
	}
	sim := awssim.New(topo, awssim.Options{TimeScale: scale, Logger: log, Identities: ids, EnforcePolicy: enforced})
	srv := &http.Server{Handler: sim, ReadHeaderTimeout: 10 * time.Second}
	go func() {
		<-ctx.Done()
		shut, done := context.WithTimeout(context.Background(), 5*time.Second)
		defer done()
		_ = srv.Shutdown(shut)
	}()
	url := "http://" + ln.Addr().String()
	fmt.Printf("awssim listening on %s (platform %s, regions %s and %s, time scale %g)\n", url, topo.ID(), topo.PrimaryRegion, topo.DRRegion, scale)
	fmt.Printf("  export AWS_ENDPOINT_URL=%s AWS_REGION=%s AWS_ACCESS_KEY_ID=awssim AWS_SECRET_ACCESS_KEY=awssim\n", url, topo.PrimaryRegion)
	for _, id := range ids {
		fmt.Printf("  identity %s (%s): AWS_ACCESS_KEY_ID=%s\n", id.Name, id.ARN, id.AccessKeyID)
	}
	if enforced != nil {
		fmt.Printf("  enforcing an IAM policy of %d statements: calls it does not allow get AccessDenied\n", len(enforced.Statement))
	}
	log.Info("serving", "addr", ln.Addr().String(), "identities", len(ids))
	if err := srv.Serve(ln); err != http.ErrServerClosed {
		return err
	}
	return nil
}
