package e2e

import (
	"strings"
	"testing"
	"time"

	"github.com/roadcall/dr/internal/starter"
	"github.com/roadcall/dr/internal/testenv"
	"github.com/roadcall/dr/workflows"
)

// A run terminated while `starter failover --follow` watches it: the follow ends at once with the server's
// own word for it (TERMINATED) and the last known step, fails, and offers no approval after it.
func TestFollowOfARunTerminatedWhileWatched(t *testing.T) {
	env := testenv.New(t, testenv.Options{TimeScale: 0.002})
	id := workflows.WorkflowID("failover", env.Topology)
	res := make(chan starterResult, 1)
	go func() {
		res <- runStarter(ctxT(t, 2*time.Minute), env, "failover", "--topology", env.TopologyFile, "--initiator", "bob", "--follow", "--monitor-window", "1s")
	}()
	waitStatus(t, env, id, time.Minute, "gate failover pending", func(s workflows.Status) bool { return s.Phase == workflows.PhaseAwaitingApproval })
	time.Sleep(time.Second) // the follow has printed the gate
	if out, err := env.CLI("workflow", "terminate", "--workflow-id", id, "--reason", "test: terminated while followed"); err != nil {
		t.Fatalf("terminate: %v\n%s", err, out)
	}
	var r starterResult
	select {
	case r = <-res:
	case <-time.After(30 * time.Second):
		t.Fatal("starter --follow did not end within 30 s of the terminate")
	}
	out := r.output()
	t.Logf("starter failover --follow:\n%s", out)
	if r.code == starter.ExitOK {
		t.Errorf("--follow of a terminated run exited OK")
	}
	i := strings.Index(out, "TERMINATED")
	if i < 0 || !strings.Contains(out, "run ended by the server; last known: "+workflows.PhaseAwaitingApproval) {
		t.Fatalf("--follow does not say the run was terminated, with its last known phase:\n%s", out)
	}
	if after := out[i:]; strings.Contains(after, "starter approve") || strings.Contains(after, "WAITING") {
		t.Errorf("--follow offers an approval after the terminate:\n%s", after)
	}
}
