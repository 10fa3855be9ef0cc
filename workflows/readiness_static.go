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
	States activities.RoutingControlStates
	Err    error
}

// readRoutingControls reads the primary's and the DR region's routing controls through the cluster's data
// plane. The activity tries the endpoints in turn, so its timeout leaves room for dead ones before the one
// that answers.
func readRoutingControls(ctx workflow.Context, t topology.Topology) *routingControlRead {
	rc := t.DNS.RoutingControls
	in := activities.RoutingControlsInput{Endpoints: rc.Endpoints,
		Controls: map[string]string{t.PrimaryRegion: rc.Controls[t.PrimaryRegion], t.DRRegion: rc.Controls[t.DRRegion]}}
	c := describeCtx(ctx, "ARC GetRoutingControlState through any of "+endpointList(rc.Endpoints))
	o := workflow.GetActivityOptions(c)
	o.StartToCloseTimeout = 2 * time.Minute
	c = workflow.WithActivityOptions(c, o)
	var r routingControlRead
	r.Err = workflow.ExecuteActivity(c, a.ReadRoutingControlStates, in).Get(c, &r.States)
	return &r
}
