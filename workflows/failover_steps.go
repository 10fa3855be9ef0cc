package workflows

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"go.temporal.io/sdk/workflow"

	"github.com/roadcall/dr/activities"
	"github.com/roadcall/dr/internal/topology"
)

// ---- 3. database ----

func (f *failover) database(ctx workflow.Context) error {
	t := f.t
	in := activities.AuroraFailoverInput{Mode: t.Aurora.FailoverMode, Region: t.DRRegion, GlobalClusterID: t.Aurora.GlobalClusterID, DRClusterID: t.Aurora.DRClusterID}
	var res activities.AuroraFailoverResult
	c := mutateCtx(ctx, fmt.Sprintf("RDS %s: make %s the writer", t.Aurora.FailoverMode, t.Aurora.DRClusterID))
	if err := workflow.ExecuteActivity(c, a.FailoverAurora, in).Get(c, &res); err != nil {
		return err
	}
	return f.r.awaitWriter(ctx, res, in, f.req.WaitHeartbeat.D())
}

// ---- 5. activate ----

func (f *failover) activate(ctx workflow.Context) error {
	t, hb := f.t, f.req.WaitHeartbeat.D()
	if t.Stacks.Activation == topology.ActivationCommand {
		return f.r.deployStep(ctx, "activate", "deploy", t.Stacks.DeployCommand, "true", "Deploy to "+t.DRRegion+": ", hb)
	}
	started, errs := f.r.setStacks(ctx, t, func(string) string { return "true" }, hb)
	if err := errors.Join(errs...); err != nil {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		return stackErrors(t.Stacks.Names, errs)
	}
	f.r.detail("activate", "%d stacks with %s=true (%d updated by this run)", len(t.Stacks.Names), t.Stacks.DRModeParameter, started)
	return nil
}

// ---- 8. communicate ----

func (f *failover) communicate(ctx workflow.Context) error {
	t := f.t
	msg := fmt.Sprintf("Service restored from %s after the %s outage. RTO %s (objective %s), RPO estimate %s (objective %s).",
		t.DRRegion, t.PrimaryRegion, f.rto.Round(time.Second), t.Objectives.RTO, rpoText(f.rep.Assessment), t.Objectives.RPO)
	c := describeCtx(ctx, "SNS: failover complete")
	pub := workflow.ExecuteActivity(c, a.Publish, activities.PublishInput{Region: t.DRRegion, TopicARN: t.TopicARN(t.DRRegion),
		Subject: fmt.Sprintf("RESOLVED: %s now serving from %s", t.ID(), t.DRRegion), Message: msg + "\n\nActions:\n- " + strings.Join(f.r.actions, "\n- ")})
	var hook workflow.Future
	if t.StatusPageWebhookEnv != "" {
		wc := describeCtx(ctx, "Status page update")
		hook = workflow.ExecuteActivity(wc, a.PostStatusPage, activities.WebhookInput{URLEnv: t.StatusPageWebhookEnv, Key: workflow.GetInfo(ctx).WorkflowExecution.RunID + "/monitoring",
			Update: activities.StatusUpdate{Incident: "region-outage-" + t.PrimaryRegion, Status: "monitoring", Component: t.API.Name, Message: msg, At: workflow.Now(ctx)}})
	}
	err := pub.Get(ctx, nil)
	if hook != nil {
		err = errors.Join(err, hook.Get(ctx, nil))
	}
	if err != nil {
		return err
	}
	if hook != nil {
		f.r.detail("communicate", "published to the alarm topic and posted to the status page")
	} else {
		f.r.detail("communicate", "published to the alarm topic (no status-page webhook configured)")
	}
	return nil
}
