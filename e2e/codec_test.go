package e2e

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"regexp"
	"strings"
	"testing"
	"time"

	commonpb "go.temporal.io/api/common/v1"
	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/api/proxy"
	"go.temporal.io/sdk/client"

	"github.com/roadcall/dr/internal/temporalclient"
	"github.com/roadcall/dr/internal/testenv"
)

func randomKey(t *testing.T) string {
	t.Helper()
	k := make([]byte, 32)
	if _, err := rand.Read(k); err != nil {
		t.Fatal(err)
	}
	return base64.StdEncoding.EncodeToString(k)
}

func freePort(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

// startCodecServer runs `starter codec-server` in this process, with no Temporal (it must not dial), until
// the test ends, and waits until it answers.
func startCodecServer(t *testing.T, addr string, args ...string) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan starterResult, 1)
	go func() { done <- runStarter(ctx, nil, append([]string{"codec-server", "--listen", addr}, args...)...) }()
	t.Cleanup(func() {
		cancel()
		if r := <-done; r.code != 0 || r.dialed {
			t.Errorf("codec server exited %d (dialed %v): %s", r.code, r.dialed, r.output())
		}
	})
	deadline := time.Now().Add(10 * time.Second)
	for {
		resp, err := http.Post("http://"+addr+"/decode", "application/json", strings.NewReader(`{"payloads":[]}`))
		if err == nil {
			_ = resp.Body.Close()
			return
		}
		select {
		case r := <-done:
			t.Fatalf("codec server exited %d: %s", r.code, r.output())
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("codec server on %s not answering: %v", addr, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// payloadText is every payload's data in a `temporal workflow show --output json` history, decoded from
// the JSON's base64, so a check for a name cannot pass merely because the CLI printed it base64-encoded.
func payloadText(t *testing.T, historyJSON string) string {
	t.Helper()
	h, err := client.HistoryFromJSON(strings.NewReader(historyJSON), client.HistoryJSONOptions{})
	if err != nil {
		t.Fatalf("not a history: %v\n%.2000s", err, historyJSON)
	}
	var b strings.Builder
	n := 0
	err = proxy.VisitPayloads(context.Background(), h, proxy.VisitPayloadsOptions{
		SkipSearchAttributes: true,
		Visitor: func(_ *proxy.VisitPayloadsContext, ps []*commonpb.Payload) ([]*commonpb.Payload, error) {
			for _, p := range ps {
				n++
				for k, v := range p.GetMetadata() {
					fmt.Fprintf(&b, "%s=%s ", k, v)
				}
				b.Write(p.GetData())
				b.WriteString("\n")
			}
			return ps, nil
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	if n < 3 {
		t.Fatalf("history has only %d payloads", n)
	}
	return b.String() + historyJSON
}

var workflowIDLine = regexp.MustCompile(`workflow ID (\S+)\s+run ID\s+(\S+)`)

// TestCodecEncryptsHistoryAndCodecServerDecodesIt: with ROADCALL_CODEC_KEY given to the worker and the
// starter, the server's history of a readiness check holds no table name; the temporal CLI pointed at
// `starter codec-server` shows them, and so does the UI in headless Chromium. A starter and a worker
// with another key fail naming the key ID, and the run survives the wrong worker.
func TestCodecEncryptsHistoryAndCodecServerDecodesIt(t *testing.T) {
	key, wrongKey := randomKey(t), randomKey(t)
	raw, _ := base64.StdEncoding.DecodeString(key)
	keyID := temporalclient.DerivedKeyID(raw)
	codecAddr := freePort(t)
	env := testenv.New(t, testenv.Options{NoWorker: true, WorkerProcess: true, UICodecEndpoint: "http://" + codecAddr})
	t.Setenv(temporalclient.EnvCodecKey, key) // the in-process starter's, and the codec server's
	startCodecServer(t, codecAddr, "--ui-origin", env.Temporal.UIAddress)
	env.Worker = testenv.StartWorkerProcessCodec(t, env.Temporal, env.Sim, env.PolicyFile, key)
	ctx := ctxT(t, 4*time.Minute)

	r := runStarter(ctx, env, "readiness", "--topology", env.TopologyFile, "--wait=false")
	m := workflowIDLine.FindStringSubmatch(r.stdout)
	if r.code != 0 || m == nil {
		t.Fatalf("readiness: exit %d\n%s", r.code, r.output())
	}
	id, runID := m[1], m[2]
	waitCompleted(ctx, t, env, id)
	// The keyed starter reads the result the keyed worker wrote.
	r = runStarter(ctx, env, "report", "--workflow-id", id)
	// (The platform comes from the run's input, read from history: the review decodes it with the key.)
	if r.code != 0 || !strings.Contains(r.stdout, "on "+env.Topology.ID()+", outcome") {
		t.Fatalf("report with the key: exit %d\n%s", r.code, r.output())
	}

	stored, err := env.CLI("workflow", "show", "--workflow-id", id, "--output", "json")
	if err != nil {
		t.Fatal(err)
	}
	plain := payloadText(t, stored)
	// Table and bucket names: the topology in the input, the report's rows, the activities' summaries.
	names := []string{env.Topology.Aurora.PrimaryClusterID}
	for _, tb := range env.Topology.Tables {
		names = append(names, tb.Name)
	}
	for _, b := range env.Topology.Buckets {
		names = append(names, b.Source, b.Destination)
	}
	for _, n := range names {
		if strings.Contains(plain, n) {
			t.Errorf("the server's history shows %s in plaintext", n)
		}
	}
	if !strings.Contains(plain, temporalclient.MetadataKeyID+"="+keyID) {
		t.Errorf("payloads do not carry key ID %s:\n%.1500s", keyID, plain)
	}
	decoded, err := env.CLI("workflow", "show", "--workflow-id", id, "--output", "json", "--codec-endpoint", "http://"+codecAddr)
	if err != nil {
		t.Fatal(err)
	}
	text := payloadText(t, decoded)
	for _, n := range names {
		if !strings.Contains(text, n) {
			t.Errorf("through the codec server the history does not show %s", n)
		}
	}

	t.Run("UI", func(t *testing.T) {
		// The input card of the run's page shows the request decoded by the codec server.
		url := fmt.Sprintf("%s/namespaces/%s/workflows/%s/%s/history", env.Temporal.UIAddress, env.Temporal.Namespace, id, runID)
		page := testenv.OpenPage(t, url, 90*time.Second, env.Topology.Tables[0].Name)
		testenv.SaveScreenshot(t, "codec-ui-decoded.png", page.PNG)
	})

	t.Run("CORS", func(t *testing.T) {
		req, _ := http.NewRequest(http.MethodOptions, "http://"+codecAddr+"/decode", nil)
		req.Header.Set("Origin", env.Temporal.UIAddress)
		req.Header.Set("Access-Control-Request-Method", "POST")
		req.Header.Set("Access-Control-Request-Headers", "content-type,x-namespace")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		_ = resp.Body.Close()
		if resp.Header.Get("Access-Control-Allow-Origin") != env.Temporal.UIAddress || !strings.Contains(resp.Header.Get("Access-Control-Allow-Headers"), "X-Namespace") {
			t.Errorf("preflight from the UI: %d %v", resp.StatusCode, resp.Header)
		}
		req.Header.Set("Origin", "http://evil.example")
		resp, err = http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		_ = resp.Body.Close()
		if resp.Header.Get("Access-Control-Allow-Origin") != "" {
			t.Errorf("another origin is allowed: %v", resp.Header)
		}
		post, _ := http.NewRequest(http.MethodPost, "http://"+codecAddr+"/decode", strings.NewReader(`{"payloads":[]}`))
		post.Header.Set("X-Namespace", "someone-else")
		resp, err = http.DefaultClient.Do(post)
		if err != nil {
			t.Fatal(err)
		}
		_ = resp.Body.Close()
		if resp.StatusCode != http.StatusForbidden {
			t.Errorf("a request for another namespace: %d, want 403", resp.StatusCode)
		}
	})

	t.Run("WrongKeyStarter", func(t *testing.T) {
		t.Setenv(temporalclient.EnvCodecKey, wrongKey)
		r := runStarter(ctx, env, "report", "--workflow-id", id)
		if r.code == 0 || !strings.Contains(r.output(), fmt.Sprintf("key ID %q", keyID)) || !strings.Contains(r.output(), "not among the configured keys") {
			t.Fatalf("report with the wrong key: exit %d\n%s", r.code, r.output())
		}
		if strings.Contains(r.output(), env.Topology.Tables[0].Name) {
			t.Fatalf("the wrong key produced plaintext:\n%s", r.output())
		}
		r = runStarter(ctx, env, "replay", "--workflow-id", id)
		if r.code != 2 || !strings.Contains(r.output(), fmt.Sprintf("key ID %q", keyID)) {
			t.Fatalf("replay with the wrong key: exit %d\n%s", r.code, r.output())
		}
		t.Setenv(temporalclient.EnvCodecKey, key)
		if r := runStarter(ctx, env, "replay", "--workflow-id", id); r.code != 0 {
			t.Fatalf("replay of the encrypted history with its key: exit %d\n%s", r.code, r.output())
		}
	})

	t.Run("WrongKeyWorker", func(t *testing.T) {
		env.Worker.Stop()
		wrong := testenv.StartWorkerProcessCodec(t, env.Temporal, env.Sim, env.PolicyFile, wrongKey)
		r := runStarter(ctx, env, "readiness", "--topology", env.TopologyFile, "--wait=false")
		m := workflowIDLine.FindStringSubmatch(r.stdout)
		if r.code != 0 || m == nil {
			t.Fatalf("readiness: exit %d\n%s", r.code, r.output())
		}
		want := fmt.Sprintf("key ID %q, which is not among the configured keys", keyID)
		waitFor(t, time.Minute, "the wrong-keyed worker logs the key ID it lacks", func() bool {
			b, _ := os.ReadFile(wrong.LogFile)
			return bytes.Contains(b, []byte(want)) || bytes.Contains(b, []byte(strings.ReplaceAll(want, `"`, `\"`)))
		})
		// The run failed a workflow task, not the execution: the right worker finishes it.
		wrong.Kill()
		env.Worker.Start()
		waitCompleted(ctx, t, env, m[1])
	})

	t.Run("KeyOfWrongLengthRefusedAtStart", func(t *testing.T) {
		short := base64.StdEncoding.EncodeToString(raw[:16])
		t.Setenv(temporalclient.EnvCodecKey, short)
		r := runStarter(ctx, env, "readiness", "--topology", env.TopologyFile, "--wait=false")
		if r.code != 2 || !strings.Contains(r.stderr, temporalclient.EnvCodecKey) || !strings.Contains(r.stderr, "16 bytes") || strings.Contains(r.output(), short) {
			t.Fatalf("starter with a 16-byte key: exit %d\n%s", r.code, r.output())
		}
		r = runStarter(ctx, nil, "codec-server", "--listen", "127.0.0.1:0")
		if r.code != 2 || !strings.Contains(r.stderr, temporalclient.EnvCodecKey) || r.dialed {
			t.Fatalf("codec server with a 16-byte key: exit %d\n%s", r.code, r.output())
		}
		// A worker that did start would poll until killed; 30 s bounds that failure.
		wctx, cancel := context.WithTimeout(ctx, 30*time.Second)
		defer cancel()
		cmd := exec.CommandContext(wctx, testenv.WorkerBinary(t))
		cmd.Env = append(os.Environ(), "TEMPORAL_ADDRESS="+env.Temporal.Address, temporalclient.EnvCodecKey+"="+short)
		out, err := cmd.CombinedOutput()
		var xe *exec.ExitError
		if !errors.As(err, &xe) || xe.ExitCode() != 2 || !strings.Contains(string(out), temporalclient.EnvCodecKey) || strings.Contains(string(out), short) {
			t.Fatalf("worker with a 16-byte key: %v\n%s", err, out)
		}
		os.Unsetenv(temporalclient.EnvCodecKey) // t.Setenv above restores it
		cmd = exec.CommandContext(wctx, testenv.WorkerBinary(t))
		cmd.Env = append(os.Environ(), "TEMPORAL_ADDRESS="+env.Temporal.Address, temporalclient.EnvCodecKeyFile+"=/nonexistent/keys")
		out, err = cmd.CombinedOutput()
		if !errors.As(err, &xe) || xe.ExitCode() != 2 || !strings.Contains(string(out), temporalclient.EnvCodecKeyFile+": cannot read /nonexistent/keys") {
			t.Fatalf("worker with an unreadable key file: %v\n%s", err, out)
		}
	})
}

// waitCompleted waits for id's latest run to complete; the test's own client has no key, so it cannot
// read the result, only the status.
func waitCompleted(ctx context.Context, t *testing.T, env *testenv.Env, id string) {
	t.Helper()
	var status enumspb.WorkflowExecutionStatus
	waitFor(t, 2*time.Minute, "workflow "+id+" completes", func() bool {
		desc, err := env.Temporal.Client.DescribeWorkflowExecution(ctx, id, "")
		status = desc.GetWorkflowExecutionInfo().GetStatus()
		if err == nil && status != enumspb.WORKFLOW_EXECUTION_STATUS_RUNNING && status != enumspb.WORKFLOW_EXECUTION_STATUS_COMPLETED {
			t.Fatalf("workflow %s ended %s", id, status)
		}
		return err == nil && status == enumspb.WORKFLOW_EXECUTION_STATUS_COMPLETED
	})
}
