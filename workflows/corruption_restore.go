package workflows

import (
	"fmt"
	"time"

	"go.temporal.io/sdk/workflow"

	"github.com/roadcall/dr/activities"
)

// agreeRestorePoint asks for the restore point at the restore-point gate: the proposed time, or another
// one inside the window every resource can be restored to.
func (c *corruption) agreeRestorePoint() error {
	r := c.r
	ap, err := r.gate(GateRestorePoint, gateOpts{Summary: c.rep.restorePointSummary(c.t.Corruption.RestoreMargin), Check: func(ap Approval) error {
		_, err := c.rep.restorePoint(ap, workflow.Now(r.ctx))
		return err
	}, Options: []string{"approve: restore to the proposed time", "approve with value=<RFC 3339 time>: restore to another time", "reject: stop here, writes stay stopped"}})
	if err != nil {
		return err
	}
	at, err := c.rep.restorePoint(ap, workflow.Now(r.ctx))
	if err != nil {
		// Only an automatic approval gets here: a person's approval was refused by the gate's check.
		r.note("restore point refused after an automatic approval: " + err.Error())
		return errAborted
	}
	c.rep.RestoreTime = at
	if at.After(c.rep.CorruptionStartedAt) {
		r.note(fmt.Sprintf("the chosen restore time %s is after the reported corruption start %s: the restore may contain corrupted data",
			at.Format(time.RFC3339), c.rep.CorruptionStartedAt.Format(time.RFC3339)))
	}
	return nil
}

// restore runs every resource's restore as its own step, at most corruption.maxParallelRestores at once.
func (c *corruption) restore() error {
	sem := workflow.NewBufferedChannel(c.r.ctx, c.t.Corruption.MaxParallelRestores)
	var branches []func(ctx workflow.Context) error
	for i := range c.rep.Restored {
		res := &c.rep.Restored[i]
		res.Target = restoredName(res.Source, c.rep.RestoreTime)
		branches = append(branches, func(ctx workflow.Context) error {
			sem.Send(ctx, true)
			defer sem.Receive(ctx, nil)
			title := fmt.Sprintf("Restore %s to %s as %s", res.Source, c.rep.RestoreTime.Format(time.RFC3339), res.Target)
			run := c.restoreTable
			if res.Kind == "aurora-cluster" {
				run = c.restoreCluster
			}
			// Step names are per resource, so an operator can retry or abort one restore; they share the
			// runbook's restore budget.
			return c.r.stepIn(ctx, "restore:"+res.Source, title, stepOpts{Critical: true, Budget: corruptionBudgets["restore"]},
				func(ctx workflow.Context) error { return run(ctx, res) })
		})
	}
	return c.r.parallel(branches...)
}

func (c *corruption) restoreTable(ctx workflow.Context, res *RestoredResource) error {
	region := c.req.Region
	var st activities.TableRestoreResult
	in := activities.TableRestoreInput{Region: region, Source: res.Source, Target: res.Target, At: c.rep.RestoreTime}
	if err := runAct(ctx, mutateCtx(ctx, "DynamoDB RestoreTableToPointInTime "+res.Target), a.RestoreTable, in, &st); err != nil {
		return err
	}
	res.Requested, res.Created, res.Status = true, res.Created || st.Created, st.Status
	ref := activities.TableRef{Region: region, Table: res.Target}
	var ts activities.TableState
	if err := runAct(ctx, waitCtx(ctx, "DynamoDB wait ACTIVE "+res.Target, 6*time.Hour), a.WaitTableActive, ref, &ts); err != nil {
		return err
	}
	res.Status = ts.Status
	var pc activities.PITRChange
	if err := runAct(ctx, mutateCtx(ctx, "DynamoDB UpdateContinuousBackups PITR on "+res.Target), a.EnableTablePITR, ref, &pc); err != nil {
		return err
	}
	res.PITR = true
	if version(ctx, restoreSettings) < 1 {
		return nil
	}
	var carried activities.TableSettingsResult
	si := activities.TableSettingsInput{Region: region, Source: res.Source, Target: res.Target}
	if err := runAct(ctx, mutateCtx(ctx, "DynamoDB carry stream, TTL, tags, PITR period, auto scaling, deletion protection to "+res.Target), a.CarryTableSettings, si, &carried); err != nil {
		return err
	}
	res.Settings = carried.Settings
	return nil
}

// restoreCluster restores the Aurora cluster and gives it the writer instance a restored cluster lacks.
func (c *corruption) restoreCluster(ctx workflow.Context, res *RestoredResource) error {
	region := c.req.Region
	var st activities.ClusterRestoreResult
	in := activities.ClusterRestoreInput{Region: region, Source: res.Source, Target: res.Target, At: c.rep.RestoreTime}
	if err := runAct(ctx, mutateCtx(ctx, "RDS RestoreDBClusterToPointInTime "+res.Target), a.RestoreCluster, in, &st); err != nil {
		return err
	}
	res.Requested, res.Created, res.Status = true, res.Created || st.Created, st.Status
	var cs activities.ClusterState
	if err := runAct(ctx, waitCtx(ctx, "RDS wait available "+res.Target, 4*time.Hour), a.WaitClusterAvailable, activities.ClusterRef{Region: region, Cluster: res.Target}, &cs); err != nil {
		return err
	}
	res.Status, res.Endpoint, res.Settings = cs.Status, cs.Endpoint, st.Settings
	w := activities.ClusterWriterInput{Region: region, Cluster: res.Target, Instance: res.Target + "-writer", Class: c.t.Aurora.InstanceClass}
	if version(ctx, restoreSettings) >= 1 {
		// The writer replaces the source's: same class and parameters, whatever the topology says.
		w.SourceCluster = res.Source
	}
	var wr activities.ClusterWriterResult
	if err := runAct(ctx, mutateCtx(ctx, "RDS CreateDBInstance "+w.Instance), a.CreateClusterWriter, w, &wr); err != nil {
		return err
	}
	if err := runAct(ctx, waitCtx(ctx, "RDS wait writer available "+w.Instance, 2*time.Hour), a.WaitClusterWriter, w, &cs); err != nil {
		return err
	}
	res.Status, res.Writer, res.Endpoint = cs.Status, cs.Writer, cs.Endpoint
	res.Settings = append(res.Settings, wr.Settings...)
	return nil
}
