package workflows

import (
	"time"

	"go.temporal.io/sdk/workflow"

	"github.com/roadcall/dr/activities"
	"github.com/roadcall/dr/internal/topology"
)

// The static-stability reads of ReadinessCheck (version readinessStaticStability): what the failover's DNS
// cutover will need when the primary region is gone. readiness_eval.go grades them.

// healthRead is one GetHealthCheckStatus answer or its error.
type healthRead struct {
	Info activities.HealthCheckInfo
	Err  error
}

// routingControlRead is the routing controls as one of the ARC cluster's endpoints answered, or the error
// when none did.
type routingControlRead struct {
	// States maps a region to its control's state (On or Off).
	States map[string]string
	// Endpoint is the region of the endpoint that answered; Skipped the endpoints tried first, with why.
	Endpoint string
	Skipped  []string
	Err      error
}

// readRoutingControls reads the primary's and the DR region's routing controls through the cluster's data
// plane. The activity tries the endpoints in turn, so its timeout leaves room for dead ones before the one
// that answers.
func readRoutingControls(ctx workflow.Context, t topology.Topology) *routingControlRead {
	rc := t.DNS.RoutingControls
	in := routingControlsInput(t)
	c := describeCtx(ctx, "ARC GetRoutingControlState through any of "+topology.EndpointRegions(rc.Endpoints, ", "))
	o := workflow.GetActivityOptions(c)
	o.StartToCloseTimeout = 2 * time.Minute
	c = workflow.WithActivityOptions(c, o)
	var got activities.RoutingControlStates
	r := routingControlRead{Err: workflow.ExecuteActivity(c, a.GetRoutingControlStates, in).Get(c, &got)}
	r.States, r.Endpoint, r.Skipped = map[string]string{}, got.Endpoint.Region, got.Unanswered
	for _, st := range got.States {
		r.States[st.Region] = st.State
	}
	return &r
}
