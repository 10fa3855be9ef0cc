package activities

import (
	"context"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/roadcall/dr/internal/policy"
)

// A health URL that redirects to another host answers with its 3xx: the worker does not follow a request's
// URL to a host the policy never allowed (server-side request forgery).
func TestHealthURLRedirectToAnotherHostIsNotFollowed(t *testing.T) {
	hit := make(chan struct{}, 1)
	inner := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { hit <- struct{}{} }))
	defer inner.Close()
	other := strings.Replace(inner.URL, "127.0.0.1", "localhost", 1)
	outer := httptest.NewServer(http.RedirectHandler(other+"/admin", http.StatusFound))
	defer outer.Close()
	acts := &Activities{HTTP: &http.Client{Timeout: 5 * time.Second}}
	st, err := acts.getURL(context.Background(), outer.URL+"/health", time.Second)
	require.NoError(t, err)
	require.Equal(t, http.StatusFound, st)
	select {
	case <-hit:
		t.Fatal("the redirect to another host was followed")
	default:
	}
}

// Whatever a non-HTTP peer sends (an internal banner here) never appears in the error that reaches history.
func TestHealthURLErrorDoesNotQuoteThePeer(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer l.Close()
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			_, _ = c.Write([]byte("SSH-2.0-OpenSSH_9.6 internal-bastion-7\r\n\x00\x00\x12\x04"))
			_ = c.Close()
		}
	}()
	acts := &Activities{HTTP: &http.Client{Timeout: 5 * time.Second}}
	_, err = acts.getURL(context.Background(), "http://"+l.Addr().String()+"/health", time.Second)
	require.Error(t, err)
	require.NotContains(t, err.Error(), "OpenSSH")
	require.NotContains(t, err.Error(), "bastion")
}

// With a policy loaded, a host no stage allows is refused before any connection is made.
func TestHealthURLOutsideThePolicyIsRefusedBeforeAnyFetch(t *testing.T) {
	hit := make(chan struct{}, 1)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { hit <- struct{}{} }))
	defer srv.Close()
	f := policy.File{Platforms: map[string]map[string]policy.Policy{"roadcall": {"test": {Approvers: []string{"arn:aws:iam::1:user/a"}, HealthHosts: []string{"api.roadcall.example"}}}}}
	acts := &Activities{HTTP: srv.Client(), Policy: &f}
	_, err := acts.getURL(context.Background(), srv.URL+"/health", time.Second)
	require.ErrorContains(t, err, "not in the worker's policy healthHosts")
	require.Equal(t, "HostNotAllowed", appErrorOf(t, err).Type())
	require.Empty(t, hit)
}
