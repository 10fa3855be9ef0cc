package awssim

import (
	"context"
	"net/http/httptest"
	"testing"

	"github.com/roadcall/dr/internal/awsclient"
	"github.com/roadcall/dr/internal/topology"
)

// start serves a fresh awssim seeded from the local example topology and returns SDK clients for it.
func start(t *testing.T, opts Options) (*Server, *awsclient.Factory, string) {
	t.Helper()
	topo, err := topology.Load("../../examples/roadcall-local.json")
	if err != nil {
		t.Fatal(err)
	}
	sim := New(topo, opts)
	hs := httptest.NewServer(sim)
	t.Cleanup(hs.Close)
	f, err := awsclient.New(context.Background(), awsclient.Static(hs.URL))
	if err != nil {
		t.Fatal(err)
	}
	return sim, f, hs.URL
}
