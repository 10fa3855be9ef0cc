// Package activities holds every side effect of the DR workflows: one AWS call, probe or wait each, all
// idempotent (they read the current state first and do nothing when it is already the target).
package activities

import (
	"net/http"
	"os"
	"time"

	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/converter"

	"github.com/roadcall/dr/internal/awsclient"
	"github.com/roadcall/dr/internal/policy"
)

// Activities is registered with the worker; its methods are the activity types.
type Activities struct {
	AWS *awsclient.Factory
	// HTTP is used for health URLs and the status-page webhook.
	HTTP *http.Client
	// Getenv reads worker-side secrets such as the DR writer DSN (never passed through history).
	Getenv func(string) string
	// PollInterval is how often wait activities poll AWS.
	PollInterval time.Duration
	// EndpointTimeout bounds one call to one ARC cluster endpoint before the next is tried (default 5s).
	EndpointTimeout time.Duration
	// Resolver answers which region the API's name resolves to; nil picks awssim's /_sim/dns when the
	// worker talks to an awssim, else DNS.
	Resolver Resolver
	// Policy is what the worker allows requests to do (nil: no policy; gated workflows refuse to run).
	Policy *policy.File
	// PolicySource is the file the policy came from, for the runs' records.
	PolicySource string
	// Temporal describes a run's parent, so a drill's child proves who started it.
	Temporal client.Client
	// Memos decodes the memos Temporal returns: the worker's data converter, since with a payload key
	// they are encrypted (nil: the SDK's default).
	Memos converter.DataConverter
}

// New returns Activities with sensible defaults for the optional fields.
func New(f *awsclient.Factory) *Activities {
	return &Activities{AWS: f, HTTP: &http.Client{Timeout: 10 * time.Second}, Getenv: os.Getenv, PollInterval: 2 * time.Second}
}

func (a *Activities) poll() time.Duration {
	if a.PollInterval > 0 {
		return a.PollInterval
	}
	return 2 * time.Second
}
