package testenv

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/roadcall/dr/internal/awsclient"
	"github.com/roadcall/dr/internal/awssim"
	"github.com/roadcall/dr/internal/topology"
)

// Sim is an awssim served on a free port in this process.
type Sim struct {
	URL    string
	Server *awssim.Server
	// Topology is the seed, with api.healthUrls rewritten to this awssim's /_sim/health/<region>.
	Topology topology.Topology
	t        testing.TB
}

// StartSim serves an awssim seeded from the topology file (relative to the module root; default
// examples/roadcall-local.json) with the given time scale. Its STS knows examples/sim-identities.json, so
// approvers prove who they are with those keys; the worker's awssim key stays the operator role.
func StartSim(t testing.TB, topoFile string, timeScale float64) *Sim {
	t.Helper()
	if topoFile == "" {
		topoFile = "examples/roadcall-local.json"
	}
	if !filepath.IsAbs(topoFile) {
		topoFile = filepath.Join(ModuleRoot(t), topoFile)
	}
	topo, err := topology.Load(topoFile)
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	url := "http://" + ln.Addr().String()
	health := map[string]string{}
	for _, r := range topo.Regions() {
		health[r] = url + "/_sim/health/" + r
	}
	topo.API.HealthURLs = health
	ids, err := awssim.LoadIdentities(filepath.Join(ModuleRoot(t), "examples/sim-identities.json"))
	if err != nil {
		t.Fatal(err)
	}
	srv := awssim.New(topo, awssim.Options{TimeScale: timeScale, Logger: slog.New(slog.NewTextHandler(io.Discard, nil)), Identities: ids})
	hs := &http.Server{Handler: srv, ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = hs.Serve(ln) }()
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = hs.Shutdown(ctx)
	})
	return &Sim{URL: url, Server: srv, Topology: topo, t: t}
}

// Clients returns SDK clients for this awssim, for tests that check AWS state the way a user would.
func (s *Sim) Clients() *awsclient.Factory {
	s.t.Helper()
	f, err := awsclient.New(context.Background(), awsclient.Static(s.URL))
	if err != nil {
		s.t.Fatal(err)
	}
	return f
}

// Journal reads GET /_sim/journal: every mutating AWS call so far.
func (s *Sim) Journal() []awssim.JournalEntry {
	s.t.Helper()
	var j []awssim.JournalEntry
	s.control(http.MethodGet, "journal", nil, &j)
	return j
}

// Requests reads GET /_sim/requests?since=SEQ: every AWS request after the one numbered since, reads
// included, with where it went and whether an outage took it.
func (s *Sim) Requests(since int64) []awssim.RequestEntry {
	s.t.Helper()
	var r []awssim.RequestEntry
	s.control(http.MethodGet, fmt.Sprintf("requests?since=%d", since), nil, &r)
	return r
}

// State reads GET /_sim/state as generic JSON.
func (s *Sim) State() map[string]any {
	s.t.Helper()
	var st map[string]any
	s.control(http.MethodGet, "state", nil, &st)
	return st
}

// AddFault posts a fault, e.g. {"kind":"replication-lag","seconds":1200}, and returns its id.
func (s *Sim) AddFault(f awssim.Fault) string {
	s.t.Helper()
	var out struct {
		ID string `json:"id"`
	}
	s.control(http.MethodPost, "faults", f, &out)
	return out.ID
}

// ClearFaults deletes every fault.
func (s *Sim) ClearFaults() { s.t.Helper(); s.control(http.MethodDelete, "faults", nil, nil) }

// Reset reseeds the world and clears faults and the journal.
func (s *Sim) Reset() { s.t.Helper(); s.control(http.MethodPost, "reset", nil, nil) }

// Published is one SNS message that reached a topic.
type Published struct {
	Region, Topic, Subject, Body string
}

// Published lists every SNS message published to any topic, in region order.
func (s *Sim) Published() []Published {
	var out []Published
	s.Server.With(func(w *awssim.World) {
		for _, r := range awssim.SortedKeys(w.Regions) {
			for _, name := range awssim.SortedKeys(w.Regions[r].Topics) {
				for _, m := range w.Regions[r].Topics[name].Messages {
					out = append(out, Published{Region: r, Topic: name, Subject: m.Subject, Body: m.Body})
				}
			}
		}
	})
	return out
}

func (s *Sim) control(method, path string, body, out any) {
	s.t.Helper()
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			s.t.Fatal(err)
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, s.URL+"/_sim/"+path, rd)
	if err != nil {
		s.t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		s.t.Fatalf("awssim %s /_sim/%s: %v", method, path, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode/100 != 2 {
		s.t.Fatalf("awssim %s /_sim/%s: %s: %s", method, path, resp.Status, strings.TrimSpace(string(b)))
	}
	if out != nil {
		if err := json.Unmarshal(b, out); err != nil {
			s.t.Fatalf("awssim %s /_sim/%s: %v\n%s", method, path, err, b)
		}
	}
}

// String is the environment a worker or the AWS CLI needs to reach this awssim.
func (s *Sim) String() string {
	return fmt.Sprintf("AWS_ENDPOINT_URL=%s AWS_REGION=%s", s.URL, s.Topology.PrimaryRegion)
}
