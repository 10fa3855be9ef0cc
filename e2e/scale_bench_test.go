package e2e

import (
	"fmt"
	"testing"
	"time"

	"github.com/roadcall/dr/internal/topology"
)

// BenchmarkFailoverTables is a failover's cost as the topology grows: 5 (the local topology), 500 and
// 2,000 tables (topology.MaxTables), with 5, 500 and 500 functions, auto-approved at time scale 0 with a
// 1 ms monitoring window. Beside the wall time it reports the history: events, bytes, the largest event
// and the largest workflow task completion (the bytes of the events one completion's commands became),
// against Temporal's 51,200-event and gRPC's 4 MB limits.
//
//	go test ./e2e -run '^$' -bench BenchmarkFailoverTables -benchtime 1x
func BenchmarkFailoverTables(b *testing.B) {
	for _, size := range []struct{ tables, functions int }{{5, 5}, {500, topology.MaxFunctions}, {topology.MaxTables, topology.MaxFunctions}} {
		b.Run(fmt.Sprintf("tables=%d/functions=%d", size.tables, size.functions), func(b *testing.B) {
			env := scaleEnv(b, size.tables, size.functions)
			var h historySize
			var wall time.Duration
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				_, w, run := scaledFailover(b, env)
				wall, h = wall+w, run
			}
			b.StopTimer()
			b.ReportMetric(float64(h.events), "events/op")
			b.ReportMetric(float64(h.bytes), "history-bytes/op")
			b.ReportMetric(float64(h.largestEvent), "largest-event-bytes")
			b.ReportMetric(float64(h.largestTask), "largest-task-bytes")
			b.ReportMetric(wall.Seconds()/float64(b.N), "wall-s/op")
			if h.events > maxScaledEvents || h.largestTask > maxScaledTaskSize {
				b.Errorf("history %d events (limit %d), largest task completion %d bytes (limit %d)", h.events, maxScaledEvents, h.largestTask, maxScaledTaskSize)
			}
		})
	}
}

// BenchmarkDrillTables is a whole drill (readiness, failover, failback) of 2,000 tables and 500
// functions at time scale 0, too long for the e2e suite: TestDrillAtScale runs 500 tables.
//
//	go test ./e2e -run '^$' -bench BenchmarkDrillTables -benchtime 1x
func BenchmarkDrillTables(b *testing.B) {
	env := scaleEnv(b, topology.MaxTables, topology.MaxFunctions)
	var wall time.Duration
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		_, w := scaledDrill(b, env)
		wall += w
	}
	b.ReportMetric(wall.Seconds()/float64(b.N), "wall-s/op")
}
