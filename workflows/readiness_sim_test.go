package workflows

import (
	"context"
	"io"
	"log/slog"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/log"
	"go.temporal.io/sdk/testsuite"

	"github.com/roadcall/dr/activities"
	"github.com/roadcall/dr/internal/awsclient"
	"github.com/roadcall/dr/internal/awssim"
	"github.com/roadcall/dr/internal/topology"
)

// TestReadinessAgainstAwssim runs the workflow with the real activities and SDK clients against an
// in-process awssim: the default world passes every check, and each injected fault fails its own row.
func TestReadinessAgainstAwssim(t *testing.T) {
	cases := []struct {
		name   string
		fault  *awssim.Fault
		failed []string
	}{
		{name: "steady state"},
		{name: "lag above the RPO", fault: &awssim.Fault{Kind: awssim.FaultReplicationLag, Seconds: 1200, At: time.Now().Add(-30 * time.Minute)},
			// The lag fault slows every cross-region replication: the five tables and the Aurora secondary.
			failed: []string{"dynamodb-replication-latency", "dynamodb-replication-latency", "dynamodb-replication-latency",
				"dynamodb-replication-latency", "dynamodb-replication-latency", "aurora-replication-lag"}},
		{name: "no recovery point in 24h", fault: &awssim.Fault{Kind: awssim.FaultStaleBackups}, failed: []string{"backup-recovery-points"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			topo := localTopology(t)
			sim := awssim.New(topo, awssim.Options{})
			hs := httptest.NewServer(sim)
			defer hs.Close()
			if tc.fault != nil {
				_, err := sim.AddFault(*tc.fault)
				require.NoError(t, err)
			}
			f, err := awsclient.New(context.Background(), awsclient.Static(hs.URL))
			require.NoError(t, err)
			env := newEnv(t)
			beforeStaticStability(env)
			env.RegisterActivity(activities.New(f))
			env.ExecuteWorkflow(ReadinessCheck, ReadinessRequest{Common: Common{Topology: topo}})
			require.NoError(t, env.GetWorkflowError())
			var rep ReadinessReport
			require.NoError(t, env.GetWorkflowResult(&rep))
			var failed []string
			for _, row := range rep.Failing() {
				failed = append(failed, row.Check)
			}
			require.Equal(t, tc.failed, failed, rep.Rows)
			require.Zero(t, rep.Warn, rep.Rows)
			published := 0
			for _, j := range sim.Journal() {
				if j.Operation == "Publish" {
					published++
				}
			}
			require.Equal(t, len(tc.failed) > 0, published == 1, "one alarm exactly when a check fails")
			require.Equal(t, published, len(sim.Journal()), "readiness changes nothing but the alarm")
		})
	}
}

// BenchmarkReadinessAgainstAwssim measures one full readiness check (26 rows from 26 AWS calls through the real
// SDK clients) in the test environment against an in-process awssim: the orchestration and protocol cost
// without a Temporal server.
func BenchmarkReadinessAgainstAwssim(b *testing.B) {
	topo, err := topology.Load("../examples/roadcall-local.json")
	require.NoError(b, err)
	hs := httptest.NewServer(awssim.New(topo, awssim.Options{}))
	defer hs.Close()
	f, err := awsclient.New(context.Background(), awsclient.Static(hs.URL))
	require.NoError(b, err)
	acts := activities.New(f)
	b.ReportAllocs()
	for b.Loop() {
		var s testsuite.WorkflowTestSuite
		s.SetLogger(log.NewStructuredLogger(slog.New(slog.NewTextHandler(io.Discard, nil))))
		env := s.NewTestWorkflowEnvironment()
		beforeStaticStability(env)
		env.RegisterActivity(acts)
		env.ExecuteWorkflow(ReadinessCheck, ReadinessRequest{Common: Common{Topology: topo}})
		var rep ReadinessReport
		require.NoError(b, env.GetWorkflowResult(&rep))
		require.Equal(b, Pass, rep.Overall)
	}
}
