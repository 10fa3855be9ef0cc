package testenv

import (
	"errors"
	"net/http"
	"strings"
	"syscall"
	"testing"

	"github.com/roadcall/dr/workflows"
)

func TestMain(m *testing.M) { Main(m) }

// TestHarness checks what the end-to-end tests rely on: the search attributes exist on the dev server,
// health URLs point at this awssim, and a worker process can be killed outright and replaced.
func TestHarness(t *testing.T) {
	env := New(t, Options{WorkerProcess: true})

	out, err := env.CLI("operator", "search-attribute", "list")
	if err != nil {
		t.Fatal(err)
	}
	for name := range workflows.SearchAttributeTypes {
		if !strings.Contains(out, name) {
			t.Errorf("search attribute %s is not registered on the dev server:\n%s", name, out)
		}
	}

	for region, url := range env.Topology.API.HealthURLs {
		if !strings.HasPrefix(url, env.Sim.URL+"/_sim/health/") {
			t.Errorf("health URL of %s is %s, not on this awssim (%s)", region, url, env.Sim.URL)
		}
		resp, err := http.Get(url)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			t.Errorf("GET %s: %s", url, resp.Status)
		}
	}

	pid := env.Worker.cmd.Process.Pid
	env.Worker.Kill()
	if err := syscall.Kill(pid, 0); !errors.Is(err, syscall.ESRCH) {
		t.Fatalf("worker process %d still exists after Kill (kill -0: %v)", pid, err)
	}
	if env.Worker.Running() {
		t.Fatal("Running() is true after Kill")
	}
	env.Worker.Start() // waits until the replacement polls the task queue
	if !env.Worker.Running() || env.Worker.cmd.Process.Pid == pid {
		t.Fatal("no replacement worker process")
	}
	if j := env.Sim.Journal(); len(j) != 0 {
		t.Fatalf("a worker that only started made mutating AWS calls: %+v", j)
	}
}
