package activities

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func TestPostStatusPage(t *testing.T) {
	var got StatusUpdate
	var key string
	status := http.StatusAccepted
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		require.Equal(t, http.MethodPost, r.Method)
		require.Equal(t, "application/json", r.Header.Get("Content-Type"))
		key = r.Header.Get("Idempotency-Key")
		require.NoError(t, json.NewDecoder(r.Body).Decode(&got))
		w.WriteHeader(status)
	}))
	defer srv.Close()
	env := map[string]string{"STATUS_WEBHOOK": srv.URL + "/hooks/T0KEN-in-the-path", "FTP_WEBHOOK": "ftp://status"}
	acts := &Activities{HTTP: srv.Client(), Getenv: func(k string) string { return env[k] }}
	in := WebhookInput{URLEnv: "STATUS_WEBHOOK", Key: "run-1/monitoring", Update: StatusUpdate{Incident: "region-outage-us-east-1", Status: "monitoring",
		Component: "roadcall-api-prod", Message: "Service restored from us-west-2", At: time.Date(2026, 11, 27, 6, 0, 0, 0, time.UTC)}}
	res, err := acts.PostStatusPage(context.Background(), in)
	require.NoError(t, err)
	require.Equal(t, http.StatusAccepted, res.Status)
	require.Equal(t, in.Update, got)
	require.Equal(t, "run-1/monitoring", key)

	status = http.StatusServiceUnavailable
	_, err = acts.PostStatusPage(context.Background(), in)
	require.Error(t, err)
	require.False(t, appErrorOf(t, err).NonRetryable(), "a 5xx is the receiver's trouble: retry")

	status = http.StatusUnauthorized
	_, err = acts.PostStatusPage(context.Background(), in)
	require.Error(t, err)
	require.True(t, appErrorOf(t, err).NonRetryable())
	require.NotContains(t, err.Error(), "T0KEN", "webhook paths carry tokens")

	srv.Close()
	_, err = acts.PostStatusPage(context.Background(), in)
	require.Error(t, err)
	require.Equal(t, "WebhookUnreachable", appErrorOf(t, err).Type())
	require.NotContains(t, err.Error(), "T0KEN")

	_, err = acts.PostStatusPage(context.Background(), WebhookInput{URLEnv: "FTP_WEBHOOK"})
	require.Equal(t, "InvalidWebhookURL", appErrorOf(t, err).Type())

	_, err = acts.PostStatusPage(context.Background(), WebhookInput{URLEnv: "UNSET_WEBHOOK"})
	require.Equal(t, "WebhookNotConfigured", appErrorOf(t, err).Type())
	require.True(t, appErrorOf(t, err).NonRetryable())
}
