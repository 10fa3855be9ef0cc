package testenv

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/worker"

	"github.com/roadcall/dr/internal/awsclient"
	"github.com/roadcall/dr/internal/drworker"
	"github.com/roadcall/dr/internal/policy"
	"github.com/roadcall/dr/internal/temporalclient"
	"github.com/roadcall/dr/workflows"
)

// Worker is a worker on the roadcall-dr task queue, in this process or as a child process.
type Worker struct {
	t        testing.TB
	temporal *Temporal
	sim      *Sim
	// policyFile is the worker's policy (--policy).
	policyFile string
	// temporalEnv, when set, is how the worker process finds Temporal instead of TEMPORAL_ADDRESS and
	// TEMPORAL_NAMESPACE of the dev server: the TEMPORAL_* variables of a TLS or mTLS setup.
	temporalEnv []string
	// args are extra command-line flags of the worker process, e.g. --metrics-addr.
	args []string
	// in-process
	w worker.Worker
	// process
	cmd     *exec.Cmd
	exited  chan struct{}
	LogFile string
}

// StartWorkerInProcess runs a worker in the test process with activities pointed at the awssim.
func StartWorkerInProcess(t testing.TB, tp *Temporal, sim *Sim, policyFile string) *Worker {
	t.Helper()
	w := &Worker{t: t, temporal: tp, sim: sim, policyFile: policyFile}
	w.Start()
	t.Cleanup(w.Stop)
	return w
}

// StartWorkerProcess runs the worker binary with the environment an operator would give it.
func StartWorkerProcess(t testing.TB, tp *Temporal, sim *Sim, policyFile string) *Worker {
	t.Helper()
	return startProcessWorker(t, &Worker{t: t, temporal: tp, sim: sim, policyFile: policyFile})
}

// StartWorkerProcessEnv runs the worker binary configured for Temporal only by temporalEnv (TEMPORAL_*
// variables), e.g. through a TLS terminator in front of tp. tp's own client still watches it poll.
func StartWorkerProcessEnv(t testing.TB, tp *Temporal, sim *Sim, policyFile string, temporalEnv []string) *Worker {
	t.Helper()
	return startProcessWorker(t, &Worker{t: t, temporal: tp, sim: sim, policyFile: policyFile, temporalEnv: temporalEnv})
}

// StartWorkerProcessCodec runs the worker binary on tp's dev server with its payloads encrypted under
// codecKey, given as an operator would: ROADCALL_CODEC_KEY.
func StartWorkerProcessCodec(t testing.TB, tp *Temporal, sim *Sim, policyFile, codecKey string) *Worker {
	t.Helper()
	return StartWorkerProcessEnv(t, tp, sim, policyFile, []string{"TEMPORAL_ADDRESS=" + tp.Address,
		"TEMPORAL_NAMESPACE=" + tp.Namespace, temporalclient.EnvCodecKey + "=" + codecKey})
}

// StartWorkerProcessArgs is StartWorkerProcess with extra worker flags, e.g. --metrics-addr HOST:PORT.
func StartWorkerProcessArgs(t testing.TB, tp *Temporal, sim *Sim, policyFile string, args ...string) *Worker {
	t.Helper()
	return startProcessWorker(t, &Worker{t: t, temporal: tp, sim: sim, policyFile: policyFile, args: args})
}

// startProcessWorker starts w as a process logging to a temp file, killed at the test's end and its log's
// tail shown when the test failed.
func startProcessWorker(t testing.TB, w *Worker) *Worker {
	t.Helper()
	w.LogFile = filepath.Join(t.TempDir(), "worker.log")
	w.Start()
	t.Cleanup(func() {
		w.Kill()
		if t.Failed() {
			t.Logf("worker log (tail):\n%s", tail(w.LogFile, 40))
		}
	})
	return w
}

// Start starts the worker (again, after Stop or Kill: the replacement a crashed worker gets).
func (w *Worker) Start() {
	w.t.Helper()
	if w.LogFile == "" {
		w.startInProcess()
		return
	}
	w.startProcess()
}

func (w *Worker) startInProcess() {
	if w.w != nil {
		w.t.Fatal("testenv: worker already running")
	}
	acts, err := drworker.Activities(context.Background(), awsclient.Static(w.sim.URL))
	if err != nil {
		w.t.Fatal(err)
	}
	acts.PollInterval = 100 * time.Millisecond
	if w.policyFile != "" {
		p, err := policy.Load(w.policyFile)
		if err != nil {
			w.t.Fatal(err)
		}
		acts.Policy, acts.PolicySource = &p, w.policyFile
	}
	w.w = drworker.New(w.temporal.Client, acts, 0)
	if err := w.w.Start(); err != nil {
		w.t.Fatalf("testenv: start in-process worker: %v", err)
	}
}

func (w *Worker) startProcess() {
	if w.cmd != nil {
		w.t.Fatal("testenv: worker process already running")
	}
	bin := WorkerBinary(w.t)
	logf, err := os.OpenFile(w.LogFile, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		w.t.Fatal(err)
	}
	cmd := exec.Command(bin, append([]string{"--log-level", "info", "--stop-timeout", "0s"}, w.args...)...)
	temporalEnv := w.temporalEnv
	if temporalEnv == nil {
		temporalEnv = []string{"TEMPORAL_ADDRESS=" + w.temporal.Address, "TEMPORAL_NAMESPACE=" + w.temporal.Namespace}
	}
	cmd.Env = append(append(cleanEnv(), temporalEnv...),
		"AWS_ENDPOINT_URL="+w.sim.URL, "AWS_REGION="+w.sim.Topology.PrimaryRegion,
		"AWS_ACCESS_KEY_ID=awssim", "AWS_SECRET_ACCESS_KEY=awssim",
		"AWS_CONFIG_FILE=/dev/null", "AWS_SHARED_CREDENTIALS_FILE=/dev/null", "AWS_EC2_METADATA_DISABLED=true",
		policy.EnvVar+"="+w.policyFile)
	cmd.Stdout, cmd.Stderr = logf, logf
	cmd.SysProcAttr = procAttr()
	if err := cmd.Start(); err != nil {
		_ = logf.Close()
		w.t.Fatalf("testenv: start worker %s: %v", bin, err)
	}
	w.cmd, w.exited = cmd, make(chan struct{})
	go func(exited chan struct{}) {
		_ = cmd.Wait()
		_ = logf.Close()
		close(exited)
	}(w.exited)
	w.waitPolling(cmd.Process.Pid)
}

// waitPolling waits until the process polls the task queue, so a test never races the worker's startup.
func (w *Worker) waitPolling(pid int) {
	w.t.Helper()
	prefix := fmt.Sprintf("%d@", pid)
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		select {
		case <-w.exited:
			w.t.Fatalf("testenv: worker process exited during startup:\n%s", tail(w.LogFile, 30))
		default:
		}
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		resp, err := w.temporal.Client.DescribeTaskQueue(ctx, workflows.TaskQueue, enumspb.TASK_QUEUE_TYPE_ACTIVITY)
		cancel()
		if err == nil {
			for _, p := range resp.GetPollers() {
				if strings.HasPrefix(p.GetIdentity(), prefix) {
					return
				}
			}
		}
		time.Sleep(100 * time.Millisecond)
	}
	w.t.Fatalf("testenv: worker process %d did not poll %s within 30s:\n%s", pid, workflows.TaskQueue, tail(w.LogFile, 30))
}

// Kill ends the worker at once: SIGKILL to the process group for a worker process (no graceful
// shutdown, as in a crash), Stop for an in-process one. Safe to call when already stopped.
func (w *Worker) Kill() {
	if w.cmd == nil {
		w.Stop()
		return
	}
	_ = syscall.Kill(-w.cmd.Process.Pid, syscall.SIGKILL)
	select {
	case <-w.exited:
	case <-time.After(10 * time.Second):
		w.t.Errorf("testenv: worker process %d did not die after SIGKILL", w.cmd.Process.Pid)
	}
	w.cmd = nil
}

// Stop stops the worker gracefully (SIGTERM for a process, then SIGKILL after 10s).
func (w *Worker) Stop() {
	if w.w != nil {
		w.w.Stop()
		w.w = nil
		return
	}
	if w.cmd == nil {
		return
	}
	_ = syscall.Kill(-w.cmd.Process.Pid, syscall.SIGTERM)
	select {
	case <-w.exited:
		w.cmd = nil
	case <-time.After(10 * time.Second):
		w.Kill()
	}
}

// Running reports whether the worker is up.
func (w *Worker) Running() bool {
	if w.w != nil {
		return true
	}
	if w.cmd == nil {
		return false
	}
	select {
	case <-w.exited:
		return false
	default:
		return true
	}
}

// cleanEnv drops the caller's AWS and Temporal settings so a developer's shell never leaks into a test.
func cleanEnv() []string {
	var env []string
	for _, kv := range os.Environ() {
		if strings.HasPrefix(kv, "AWS_") || strings.HasPrefix(kv, "TEMPORAL_") || strings.HasPrefix(kv, "ROADCALL_CODEC_") {
			continue
		}
		env = append(env, kv)
	}
	return env
}

// workerBuild builds ./worker once per test binary.
var workerBuild struct {
	once sync.Once
	dir  string
	path string
	err  error
}

// WorkerBinary builds ./worker once per test binary into a temporary directory (removed by Main).
func WorkerBinary(t testing.TB) string {
	t.Helper()
	workerBuild.once.Do(func() {
		dir, err := os.MkdirTemp("", "roadcall-dr-worker-")
		if err != nil {
			workerBuild.err = err
			return
		}
		workerBuild.dir = dir
		workerBuild.path = filepath.Join(dir, "worker")
		cmd := exec.Command("go", "build", "-o", workerBuild.path, "./worker")
		cmd.Dir = ModuleRoot(t)
		if out, err := cmd.CombinedOutput(); err != nil {
			workerBuild.err = fmt.Errorf("go build ./worker: %v\n%s", err, out)
		}
	})
	if workerBuild.err != nil {
		t.Fatalf("testenv: %v", workerBuild.err)
	}
	return workerBuild.path
}

// Main runs the tests and removes what testenv built for the whole test binary. Use it from TestMain:
//
//	func TestMain(m *testing.M) { testenv.Main(m) }
func Main(m *testing.M) {
	code := m.Run()
	if workerBuild.dir != "" {
		_ = os.RemoveAll(workerBuild.dir)
	}
	os.Exit(code)
}
