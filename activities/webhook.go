package activities

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"time"

	"go.temporal.io/sdk/temporal"
)

// StatusUpdate is the customer-facing update a status page receives.
type StatusUpdate struct {
	Incident  string    `json:"incident"`
	Status    string    `json:"status"` // investigating, identified, monitoring, resolved
	Component string    `json:"component"`
	Message   string    `json:"message"`
	At        time.Time `json:"at"`
}

// WebhookInput posts one update to the URL held in the worker's environment variable URLEnv. Key is sent
// as Idempotency-Key so a receiver can drop a retried post.
type WebhookInput struct {
	URLEnv string       `json:"urlEnv"`
	Key    string       `json:"key"`
	Update StatusUpdate `json:"update"`
}

// WebhookResult is the receiver's answer.
type WebhookResult struct {
	Status int `json:"status"`
}

// PostStatusPage POSTs the update as JSON. 5xx and network errors retry; 4xx do not (the receiver refused
// the request itself). Errors name the host only: webhook paths often carry a token.
func (a *Activities) PostStatusPage(ctx context.Context, in WebhookInput) (WebhookResult, error) {
	getenv := a.Getenv
	if getenv == nil {
		getenv = os.Getenv
	}
	target := getenv(in.URLEnv)
	if target == "" {
		return WebhookResult{}, refuse("WebhookNotConfigured", "status-page webhook: the worker's environment variable %q is empty; set it to the webhook URL on every worker", in.URLEnv)
	}
	u, err := url.Parse(target)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return WebhookResult{}, refuse("InvalidWebhookURL", "status-page webhook: the URL is not an http(s) URL")
	}
	body, err := json.Marshal(in.Update)
	if err != nil {
		return WebhookResult{}, refuse("InvalidWebhookPayload", "status-page webhook: %v", err)
	}
	c, cancel := context.WithTimeout(ctx, 15*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(c, http.MethodPost, target, bytes.NewReader(body))
	if err != nil {
		return WebhookResult{}, refuse("InvalidWebhookURL", "status-page webhook at %s: %v", u.Host, err)
	}
	req.Header.Set("Content-Type", "application/json")
	if in.Key != "" {
		req.Header.Set("Idempotency-Key", in.Key)
	}
	hc := a.HTTP
	if hc == nil {
		hc = http.DefaultClient
	}
	resp, err := hc.Do(req)
	if err != nil {
		return WebhookResult{}, temporal.NewApplicationError(fmt.Sprintf("status-page webhook at %s: %v", u.Host, redactURL(err, target)), "WebhookUnreachable")
	}
	defer resp.Body.Close()
	snippet, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
	res := WebhookResult{Status: resp.StatusCode}
	switch {
	case resp.StatusCode >= 500 || resp.StatusCode == http.StatusTooManyRequests:
		return res, temporal.NewApplicationError(fmt.Sprintf("status-page webhook at %s answered HTTP %d: %s", u.Host, resp.StatusCode, snippet), "WebhookUnavailable")
	case resp.StatusCode >= 300:
		return res, refuse("WebhookRefused", "status-page webhook at %s answered HTTP %d: %s", u.Host, resp.StatusCode, snippet)
	}
	return res, nil
}

// redactURL drops the full URL (which may hold a token) from an http client error.
func redactURL(err error, full string) string {
	return string(bytes.ReplaceAll([]byte(err.Error()), []byte(full), []byte("<webhook URL>")))
}
