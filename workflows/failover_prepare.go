package workflows

import (
	"errors"
	"fmt"
	"time"

	"go.temporal.io/sdk/workflow"

	"github.com/roadcall/dr/activities"
	"github.com/roadcall/dr/internal/topology"
)

// Preparation is what prepareBeforeGate did: the DR stacks activated while the gate waited, so that the
// 20-minute activation no longer starts only after people decide.
type Preparation struct {
	// NotPrepared says why nothing was prepared although the request asked (DR not healthy).
	NotPrepared string    `json:"notPrepared,omitempty"`
	Started     time.Time `json:"started,omitzero"`
	// Ready is when the activation finished; zero when it had not before the run went on without it.
	Ready time.Time `json:"ready,omitzero"`
	// Before is each stack's DR-mode value before the preparation: what a revert puts back.
	Before map[string]string `json:"before,omitempty"`
	// GateWait is how long the gate waited; Overlap how much of the activation ran during that wait.
	GateWait time.Duration `json:"gateWait"`
	Overlap  time.Duration `json:"overlap"`
	// Reverted: the gate did not open (rejected, timed out or cancelled) and the stacks are back as they were.
	Reverted     bool   `json:"reverted,omitempty"`
	RevertReason string `json:"revertReason,omitempty"`
}

// preparation is the coroutine that activates the stacks before the gate.
type preparation struct {
	rep    *Preparation
	cancel workflow.CancelFunc
	done   workflow.Future
}

// prepares says whether the request asks to prepare before the gate: its own field, else the topology's.
func (r *FailoverRequest) prepares() bool {
	if r.PrepareBeforeGate != nil {
		return *r.PrepareBeforeGate
	}
	return r.Topology.Stacks.PrepareBeforeGate
}

func (r *FailoverRequest) prepareProblems() topology.Errors {
	st := r.Topology.Stacks
	if r.prepares() && st.Activation == topology.ActivationCommand && st.Deploy == "" {
		return topology.Errors{{Field: "prepareBeforeGate", Problem: `is true while stacks.activation is "command" with no named deploy command`,
			Fix: "name the worker policy's deploy command in stacks.deploy (a revert runs it with DR_MODE=false), or leave prepareBeforeGate off"}}
	}
	return nil
}

// startPreparation starts activating the DR stacks when the assessment found DR healthy. Only the
// reversible activation runs before the gate: not Aurora, not DNS.
func (f *failover) startPreparation() {
	r, as := f.r, f.rep.Assessment
	p := &preparation{rep: &Preparation{}}
	f.prep, f.rep.Preparation = p, p.rep
	if as == nil || !as.DR.Reachable || (as.DR.HealthURL != "" && !as.DR.Healthy) {
		p.rep.NotPrepared = fmt.Sprintf("the assessment did not find %s healthy (%s), so nothing was prepared before the gate", f.t.DRRegion, as.DR.Summary())
		r.note(p.rep.NotPrepared)
		return
	}
	ctx, cancel := workflow.WithCancel(r.ctx)
	done, settle := workflow.NewFuture(r.ctx)
	p.cancel, p.done = cancel, done
	p.rep.Started = workflow.Now(ctx)
	workflow.Go(ctx, func(ctx workflow.Context) {
		err := r.stepIn(ctx, "prepare", "5a. Prepare: activate services in "+f.t.DRRegion+" while the gate waits",
			stepOpts{Budget: failoverBudgets["activate"], NoPause: true}, f.prepareStacks)
		if err == nil {
			p.rep.Ready = workflow.Now(ctx)
		}
		settle.Set(nil, err)
	})
}

// prepareStacks records each stack's DR mode, then activates the stacks as step 5 would.
func (f *failover) prepareStacks(ctx workflow.Context) error {
	t := f.t
	if t.Stacks.Activation != topology.ActivationCommand {
		futs := make([]workflow.Future, len(t.Stacks.Names))
		for i, st := range t.Stacks.Names {
			c := describeCtx(ctx, "CloudFormation DescribeStacks "+st+" in "+t.DRRegion+" (before preparing)")
			futs[i] = workflow.ExecuteActivity(c, a.DescribeStack, activities.StackRef{Region: t.DRRegion, Stack: st})
		}
		f.prep.rep.Before = map[string]string{}
		for i, fut := range futs {
			var info activities.StackInfo
			if err := fut.Get(ctx, &info); err != nil {
				return err
			}
			f.prep.rep.Before[t.Stacks.Names[i]] = info.Parameters[t.Stacks.DRModeParameter]
		}
	}
	if err := f.activate(ctx); err != nil {
		return err
	}
	f.r.detail("prepare", "the DR stacks are active while the gate waits; step 5 finds them done")
	return nil
}

// gateEnded measures the overlap of the activation with the gate's wait.
func (p *preparation) gateEnded(opened, decided time.Time) {
	if p == nil || p.done == nil {
		return
	}
	p.rep.GateWait = decided.Sub(opened)
	end := decided
	if ready := p.rep.Ready; !ready.IsZero() && ready.Before(decided) {
		end = ready
	}
	from := opened
	if p.rep.Started.After(from) {
		from = p.rep.Started
	}
	p.rep.Overlap = max(0, end.Sub(from))
}

// revertPreparation puts the stacks back as they were when the gate did not open: it stops the
// preparation, waits out any update in flight (CloudFormation takes no other until it settles), and sets
// each stack's DR mode back. A cancelled run reverts in a disconnected context: its own is gone.
func (f *failover) revertPreparation(ap Approval) {
	p, r := f.prep, f.r
	if p == nil || p.done == nil {
		return
	}
	p.cancel()
	ctx := r.ctx
	reason := "gate " + GateFailover + " rejected"
	switch ap.Decision {
	case "timeout":
		reason = "gate " + GateFailover + " timed out"
	case "":
		reason = "run stopped before the gate"
	}
	if ctx.Err() != nil {
		ctx, _ = workflow.NewDisconnectedContext(ctx)
		reason = "run cancelled at the gate"
	}
	_ = p.done.Get(ctx, nil)
	err := r.stepIn(ctx, "revert", "Revert the preparation in "+f.t.DRRegion, stepOpts{Critical: true}, f.revertStacks)
	p.rep.Reverted, p.rep.RevertReason = err == nil, reason
	if err == nil {
		r.note(fmt.Sprintf("%s: the preparation was reverted, the DR stacks are back as they were", reason))
	}
}

func (f *failover) revertStacks(ctx workflow.Context) error {
	t, hb := f.t, f.req.WaitHeartbeat.D()
	if t.Stacks.Activation == topology.ActivationCommand {
		return f.r.deployStep(ctx, "revert", "deploy", t.Stacks.DeployCommand, "false", "Deploy to "+t.DRRegion+": ", hb)
	}
	settled := make([]workflow.Future, len(t.Stacks.Names))
	for i, st := range t.Stacks.Names {
		c := waitHB(ctx, "Wait until "+st+" has settled", time.Hour, hb)
		settled[i] = workflow.ExecuteActivity(c, a.WaitStackSettled, activities.StackRef{Region: t.DRRegion, Stack: st})
	}
	var errs []error
	for _, s := range settled {
		errs = append(errs, s.Get(ctx, nil))
	}
	if err := errors.Join(errs...); err != nil {
		return err
	}
	before := f.prep.rep.Before
	started, errs := f.r.setStacks(ctx, t, func(stack string) string {
		if v, ok := before[stack]; ok && v != "" {
			return v
		}
		return "false"
	}, hb)
	if err := errors.Join(errs...); err != nil {
		return stackErrors(t.Stacks.Names, errs)
	}
	f.r.detail("revert", "%d stacks back to their %s before the preparation (%d updated)", len(t.Stacks.Names), t.Stacks.DRModeParameter, started)
	return nil
}

// awaitPreparation lets the preparation's step end before the run goes on: step 5 waited for the same
// stacks, so it is over or about to be.
func (f *failover) awaitPreparation() {
	if f.prep != nil && f.prep.done != nil {
		_ = f.prep.done.Get(f.r.ctx, nil)
	}
}
