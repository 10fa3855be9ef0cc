package starter

import (
	"context"
	"fmt"
	"reflect"
	"runtime"
	"strings"

	"github.com/roadcall/dr/internal/identity"
	"github.com/roadcall/dr/internal/policy"
	"github.com/roadcall/dr/workflows"
)

// requester is every scenario request: each embeds workflows.Common.
type requester interface{ Base() *workflows.Common }

// checkPolicy runs the workflow's own policy check before anything starts, when the starter is given the
// worker's policy (--policy or ROADCALL_POLICY): a refused request exits 2 without a run.
func (e *Env) checkPolicy(wf any, c *workflows.Common) error {
	if e.Policy == "" {
		return nil
	}
	f, err := policy.Load(e.Policy)
	if err != nil {
		return badInput("%v", err)
	}
	p, err := f.For(c.Topology.Platform, c.Topology.Stage)
	if err != nil {
		return badInput("%v", err)
	}
	name := workflowName(wf)
	ask := policy.Ask{Workflow: name, AutoApprove: c.AutoApprove && name != workflows.WorkflowReadiness, Topology: c.Topology}
	if es := p.Check(ask); len(es) > 0 {
		return badInput("%v", es)
	}
	return nil
}

// proveInitiator attaches the initiator's token: a presigned sts:GetCallerIdentity bound to the workflow
// ID, signed for the DR region's STS (the worker verifies there). Without credentials the run starts
// unproven, and says so: under the two-person rule its approvers must then be distinct from everyone who acts.
func (e *Env) proveInitiator(ctx context.Context, id string, c *workflows.Common) {
	if c.AutoApprove {
		return // nobody approves, so nobody needs telling apart from the initiator
	}
	if e.Policy != "" {
		if f, err := policy.Load(e.Policy); err == nil {
			if p, err := f.For(c.Topology.Platform, c.Topology.Stage); err == nil && p.Mode() == policy.IdentityNames {
				return
			}
		}
	}
	tok, err := e.token(ctx, c.Topology.DRRegion, identity.StartBinding(id))
	if err != nil {
		fmt.Fprintf(e.Err, "note: the initiator is unproven (%v)\n", err)
		return
	}
	c.InitiatorToken = &tok
}

// token makes a token with the operator's AWS credentials for region.
func (e *Env) token(ctx context.Context, region string, b identity.Binding) (identity.Token, error) {
	load := e.AWSConfig
	if load == nil {
		load = identity.ApproverConfig
	}
	cfg, err := load(ctx)
	if err != nil {
		return identity.Token{}, err
	}
	cfg = cfg.Copy()
	if region != "" {
		cfg.Region = region
	}
	if cfg.Credentials == nil {
		return identity.Token{}, fmt.Errorf("no AWS credentials in the environment (profile, SSO or keys)")
	}
	return identity.NewToken(ctx, cfg, b, identity.DefaultTTL)
}

// workflowName is the workflow type of a workflow function, as the worker registers it.
func workflowName(wf any) string {
	full := runtime.FuncForPC(reflect.ValueOf(wf).Pointer()).Name()
	return full[strings.LastIndex(full, ".")+1:]
}
