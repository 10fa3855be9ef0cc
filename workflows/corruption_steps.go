package workflows

import (
	"cmp"
	"fmt"
	"time"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/roadcall/dr/activities"
	"github.com/roadcall/dr/internal/topology"
)

// The steps of DataCorruptionRecovery but the restore (corruption_restore.go), and how a run ends.

func (c *corruption) stopWrites(ctx workflow.Context) error {
	t, region := c.t, c.req.Region
	if t.Corruption.WriteStop == topology.WriteStopAPIThrottle {
		if len(c.rep.WriteStops) == 0 {
			c.rep.WriteStops = []WriteStop{{Resource: t.API.RestAPIIDs[region] + "/" + t.API.Stage}}
		}
		ws := &c.rep.WriteStops[0]
		ref := activities.APIStageRef{Region: region, RestAPIID: t.API.RestAPIIDs[region], Stage: t.API.Stage}
		if !ws.Recorded {
			var prior activities.StageThrottle
			if err := runAct(ctx, describeCtx(ctx, "API Gateway GetStage "+ws.Resource), a.GetStageThrottling, ref, &prior); err != nil {
				return err
			}
			ws.PriorThrottle, ws.Recorded = &prior, true
		}
		var res activities.StageThrottleResult
		err := runAct(ctx, mutateCtx(ctx, "API Gateway UpdateStage throttling 0 "+ws.Resource), a.SetStageThrottling,
			activities.StageThrottleChange{APIStageRef: ref, Target: activities.StageThrottle{Set: true}}, &res)
		ws.Changed = ws.Changed || res.Changed
		return err
	}
	if len(c.rep.WriteStops) == 0 {
		for _, fn := range t.FunctionNames() {
			c.rep.WriteStops = append(c.rep.WriteStops, WriteStop{Resource: fn})
		}
	}
	// Before lambda-aliases, $LATEST alone was written, which an alias's traffic never sees.
	aliases := version(ctx, lambdaAliases) >= 1
	var branches []func(ctx workflow.Context) error
	for i := range c.rep.WriteStops {
		branches = append(branches, func(ctx workflow.Context) error {
			ws := &c.rep.WriteStops[i]
			alias := ""
			if aliases {
				alias = t.FunctionAlias(ws.Resource)
			}
			// The previous value is read once, before the first change: a retried step must not mistake
			// its own READ_ONLY_MODE=true (or its own alias move) for the state to go back to.
			if !ws.Recorded {
				var env activities.FunctionEnv
				q := activities.FunctionEnvQuery{Region: region, Function: ws.Resource, Keys: []string{ReadOnlyVar}}
				if err := runAct(ctx, describeCtx(ctx, "Lambda GetFunctionConfiguration "+ws.Resource), a.GetFunctionEnvironment, q, &env); err != nil {
					return err
				}
				if alias != "" {
					var st activities.AliasState
					ref := activities.AliasRef{Region: region, Function: ws.Resource, Alias: alias}
					if err := runAct(ctx, describeCtx(ctx, "Lambda GetAlias "+ws.Resource+":"+alias), a.GetFunctionAlias, ref, &st); err != nil {
						return err
					}
					ws.Alias = &AliasStop{Name: alias, Prior: st.Target}
				}
				ws.PriorValue, ws.Recorded = env.Keys[ReadOnlyVar], true
			}
			ch := activities.EnvChange{Region: region, Function: ws.Resource, Set: map[string]string{ReadOnlyVar: "true"}}
			if err := c.updateEnv(ctx, ch, &ws.Changed); err != nil {
				return err
			}
			if ws.Alias == nil {
				return nil
			}
			v, err := c.publishForAlias(ctx, ws, ws.Alias.Prior.Version, ch)
			if err != nil {
				return err
			}
			return c.pointAlias(ctx, ws, activities.AliasTarget{Version: v})
		})
	}
	return c.r.parallel(branches...)
}

// publishForAlias publishes $LATEST, which must be version like with ch merged in and nothing else, and
// waits for the version to be Active.
func (c *corruption) publishForAlias(ctx workflow.Context, ws *WriteStop, like string, ch activities.EnvChange) (string, error) {
	var pv activities.PublishedVersion
	in := activities.VersionPublish{Region: c.req.Region, Function: ws.Resource, Like: like, Change: ch}
	if err := runAct(ctx, mutateCtx(ctx, "Lambda PublishVersion "+ws.Resource), a.PublishFunctionVersion, in, &pv); err != nil {
		return "", err
	}
	var up activities.FunctionUpdate
	ref := activities.VersionRef{Region: c.req.Region, Function: ws.Resource, Version: pv.Version}
	if err := runAct(ctx, waitCtx(ctx, "Lambda wait State=Active "+ws.Resource+":"+pv.Version, 15*time.Minute), a.WaitVersionActive, ref, &up); err != nil {
		return "", err
	}
	return pv.Version, nil
}

// pointAlias moves the write stop's alias to target.
func (c *corruption) pointAlias(ctx workflow.Context, ws *WriteStop, target activities.AliasTarget) error {
	var mv activities.AliasMoveResult
	in := activities.AliasMove{AliasRef: activities.AliasRef{Region: c.req.Region, Function: ws.Resource, Alias: ws.Alias.Name}, Target: target}
	if err := runAct(ctx, mutateCtx(ctx, "Lambda UpdateAlias "+ws.Resource+":"+ws.Alias.Name+" → "+aliasTargetText(target)), a.PointAlias, in, &mv); err != nil {
		return err
	}
	ws.Alias.Serving, ws.Changed = target.Version, ws.Changed || mv.Changed
	return nil
}

// aliasStop is the write stop of a function invoked through an alias, nil for any other.
func (c *corruption) aliasStop(fn string) *WriteStop {
	for i := range c.rep.WriteStops {
		if ws := &c.rep.WriteStops[i]; ws.Resource == fn && ws.Alias != nil {
			return ws
		}
	}
	return nil
}

// updateEnv merges a change into one function's environment and waits for Lambda to apply it.
func (c *corruption) updateEnv(ctx workflow.Context, ch activities.EnvChange, changed *bool) error {
	var res activities.EnvChangeResult
	if err := runAct(ctx, mutateCtx(ctx, "Lambda UpdateFunctionConfiguration "+ch.Function), a.UpdateFunctionEnvironment, ch, &res); err != nil {
		return err
	}
	*changed = *changed || res.Changed
	var up activities.FunctionUpdate
	return runAct(ctx, waitCtx(ctx, "Lambda wait LastUpdateStatus=Successful "+ch.Function, 15*time.Minute), a.WaitFunctionUpdated,
		activities.FunctionEnvRef{Region: ch.Region, Function: ch.Function}, &up)
}

func (c *corruption) assess(ctx workflow.Context) error {
	region := c.req.Region
	wins := make([]RestoreWindow, len(c.rep.Restored))
	var branches []func(ctx workflow.Context) error
	for i, res := range c.rep.Restored {
		branches = append(branches, func(ctx workflow.Context) error {
			if res.Kind == "aurora-cluster" {
				var cw activities.ClusterWindow
				if err := runAct(ctx, describeCtx(ctx, "RDS DescribeDBClusters "+res.Source), a.DescribeClusterWindow, activities.ClusterRef{Region: region, Cluster: res.Source}, &cw); err != nil {
					return err
				}
				wins[i] = RestoreWindow{Resource: res.Source, Kind: res.Kind, Enabled: !cw.Latest.IsZero(), Earliest: cw.Earliest.UTC(), Latest: cw.Latest.UTC()}
				c.rep.Restored[i].SourceEndpoint = cw.Endpoint
				return nil
			}
			var p activities.PITRInfo
			if err := runAct(ctx, describeCtx(ctx, "DynamoDB DescribeContinuousBackups "+res.Source), a.DescribeContinuousBackups, activities.TableRef{Region: region, Table: res.Source}, &p); err != nil {
				return err
			}
			wins[i] = RestoreWindow{Resource: res.Source, Kind: res.Kind, Enabled: p.Enabled, Earliest: p.Earliest.UTC(), Latest: p.Latest.UTC()}
			return nil
		})
	}
	branches = append(branches, func(ctx workflow.Context) error {
		var rp activities.RecoveryPoints
		q := activities.RecoveryPointQuery{Region: region, Vault: c.t.BackupVault, Since: c.rep.CorruptionStartedAt.Add(-c.t.Thresholds.BackupMaxAge.D())}
		if err := runAct(ctx, describeCtx(ctx, "Backup ListRecoveryPointsByBackupVault "+c.t.BackupVault), a.ListRecoveryPoints, q, &rp); err != nil {
			// Recovery points are a fallback the operator may want; PITR does the restore, so this is a note.
			c.r.note("recent recovery points unreadable: " + errMessage(err))
			return nil
		}
		c.rep.RecoveryPoints, c.rep.NewestRecoveryPoint = completedPoints(rp.Points)
		return nil
	})
	if err := c.r.parallel(branches...); err != nil {
		return err
	}
	c.rep.Windows, c.rep.AssessedAt = wins, workflow.Now(ctx)
	e, l, ok, off := commonWindow(wins)
	if ok {
		c.rep.WindowEarliest, c.rep.WindowLatest = e, l
	}
	return windowProblem(c.rep.WindowEarliest, c.rep.WindowLatest, off, region)
}

func (c *corruption) validate(ctx workflow.Context) error {
	region := c.req.Region
	var tables []RestoredResource
	for _, res := range c.rep.Restored {
		if res.Kind == "dynamodb-table" {
			tables = append(tables, res)
		}
	}
	vals := make([]TableValidation, len(tables))
	var branches []func(ctx workflow.Context) error
	for i, res := range tables {
		var keys []map[string]string
		for _, tb := range c.t.Tables {
			if tb.Name == res.Source {
				keys = tb.IntegrityKeys
			}
		}
		branches = append(branches, func(ctx workflow.Context) error {
			v := TableValidation{Table: res.Source, Restored: res.Target}
			var src, dst activities.ItemCount
			limit := int64(c.t.Corruption.ScanLimit)
			if err := runAct(ctx, waitCtx(ctx, "DynamoDB Scan COUNT "+res.Source, 30*time.Minute), a.CountItems, activities.ItemCountInput{Region: region, Table: res.Source, Max: limit}, &src); err != nil {
				return err
			}
			if err := runAct(ctx, waitCtx(ctx, "DynamoDB Scan COUNT "+res.Target, 30*time.Minute), a.CountItems, activities.ItemCountInput{Region: region, Table: res.Target, Max: limit}, &dst); err != nil {
				return err
			}
			v.SourceCount, v.RestoredCount, v.Complete = src.Count, dst.Count, src.Complete && dst.Complete
			if len(keys) > 0 {
				var sp, dp []activities.ItemProbe
				if err := runAct(ctx, describeCtx(ctx, "DynamoDB GetItem integrity keys "+res.Source), a.ProbeItems, activities.ItemProbeInput{Region: region, Table: res.Source, Keys: keys}, &sp); err != nil {
					return err
				}
				if err := runAct(ctx, describeCtx(ctx, "DynamoDB GetItem integrity keys "+res.Target), a.ProbeItems, activities.ItemProbeInput{Region: region, Table: res.Target, Keys: keys}, &dp); err != nil {
					return err
				}
				v.Probes = probeRows(sp, dp)
			}
			vals[i] = v
			return nil
		})
	}
	if err := c.r.parallel(branches...); err != nil {
		return err
	}
	c.rep.Validation, c.rep.Differences = vals, nil
	for _, v := range vals {
		c.rep.Differences = append(c.rep.Differences, v.differences(c.t.Corruption.ScanLimit)...)
	}
	if !c.req.SkipAurora {
		c.r.note("Aurora data is not compared by this workflow: check the restored cluster with SQL before approving the cutover")
	}
	return nil
}

// validationSkipped is true when an operator skipped a failed validation.
func (c *corruption) validationSkipped() bool {
	v := c.r.status.Step("validate")
	return v != nil && v.Outcome == OutcomeSkipped
}

// planCutover reads, before the cutover gate, which variables name the corrupted resources, so the approver
// sees exactly what the cutover will change and which restored resource nothing would point at.
func (c *corruption) planCutover(ctx workflow.Context) error {
	if c.t.Corruption.Cutover == topology.CutoverSSM {
		c.rep.CutoverPlan = []string{fmt.Sprintf("SSM parameter %s in %s := %s", c.t.Corruption.SSMParameter, c.req.Region, c.rep.ssmValue())}
		return nil
	}
	values := c.rep.cutoverValues()
	fns := c.t.FunctionNames()
	envs := make([]activities.FunctionEnv, len(fns))
	var branches []func(ctx workflow.Context) error
	for i, fn := range fns {
		branches = append(branches, func(ctx workflow.Context) error {
			q := activities.FunctionEnvQuery{Region: c.req.Region, Function: fn, Values: values}
			return runAct(ctx, describeCtx(ctx, "Lambda GetFunctionConfiguration "+fn), a.GetFunctionEnvironment, q, &envs[i])
		})
	}
	if err := c.r.parallel(branches...); err != nil {
		return err
	}
	c.rep.CutoverPlan = cutoverPlan(c.rep.Restored, fns, envs)
	return nil
}

func (c *corruption) cutover(ctx workflow.Context) error {
	if c.t.Corruption.Cutover == topology.CutoverSSM {
		var res activities.ParameterPutResult
		in := activities.ParameterPut{Region: c.req.Region, Name: c.t.Corruption.SSMParameter, Value: c.rep.ssmValue()}
		return runAct(ctx, mutateCtx(ctx, "SSM PutParameter "+in.Name), a.PutParameterValue, in, &res)
	}
	repl := c.rep.replacements()
	var branches []func(ctx workflow.Context) error
	for _, fn := range c.t.FunctionNames() {
		branches = append(branches, func(ctx workflow.Context) error {
			var changed bool
			ch := activities.EnvChange{Region: c.req.Region, Function: fn, Replace: repl}
			if err := c.updateEnv(ctx, ch, &changed); err != nil {
				return err
			}
			// The alias serves the read-only version, which still names the corrupted resources: the
			// cutover reaches its traffic as a new version (still read-only until the resume).
			ws := c.aliasStop(fn)
			if ws == nil {
				return nil
			}
			v, err := c.publishForAlias(ctx, ws, cmp.Or(ws.Alias.Serving, ws.Alias.Prior.Version), ch)
			if err != nil {
				return err
			}
			return c.pointAlias(ctx, ws, activities.AliasTarget{Version: v})
		})
	}
	return c.r.parallel(branches...)
}

// resumeWrites puts back exactly what stop-writes replaced: READ_ONLY_MODE's previous value (or its
// absence) and nothing else, or the stage's previous throttling.
func (c *corruption) resumeWrites(ctx workflow.Context) error {
	region := c.req.Region
	var branches []func(ctx workflow.Context) error
	for i := range c.rep.WriteStops {
		ws := &c.rep.WriteStops[i]
		if !ws.Recorded {
			continue
		}
		branches = append(branches, func(ctx workflow.Context) error {
			if ws.PriorThrottle != nil {
				t := c.t
				ref := activities.APIStageRef{Region: region, RestAPIID: t.API.RestAPIIDs[region], Stage: t.API.Stage}
				var res activities.StageThrottleResult
				if err := runAct(ctx, mutateCtx(ctx, "API Gateway UpdateStage restore throttling "+ws.Resource), a.SetStageThrottling,
					activities.StageThrottleChange{APIStageRef: ref, Target: *ws.PriorThrottle}, &res); err != nil {
					return err
				}
				ws.Resumed = true
				return nil
			}
			var changed bool
			ch := resumeChange(*ws, region)
			if err := c.updateEnv(ctx, ch, &changed); err != nil {
				return err
			}
			if ws.Alias != nil {
				if err := c.resumeAlias(ctx, ws, ch); err != nil {
					return err
				}
			}
			ws.Resumed = true
			return nil
		})
	}
	return c.r.parallel(branches...)
}

// resumeAlias gives an alias's traffic its writes back. With no cutover, the alias goes back exactly where
// it pointed before the stop (weights included), the version the application ran then. After a cutover
// that version names the corrupted resources, so $LATEST (the cutover's environment, READ_ONLY_MODE as
// before) is published and the alias points at it alone; the note says so.
func (c *corruption) resumeAlias(ctx workflow.Context, ws *WriteStop, ch activities.EnvChange) error {
	target := ws.Alias.Prior
	if c.rep.CutoverDone {
		v, err := c.publishForAlias(ctx, ws, cmp.Or(ws.Alias.Serving, ws.Alias.Prior.Version), ch)
		if err != nil {
			return err
		}
		target = activities.AliasTarget{Version: v}
	}
	if err := c.pointAlias(ctx, ws, target); err != nil {
		return err
	}
	ws.Alias.Resumed = &target
	if c.rep.CutoverDone {
		c.r.note(aliasResumeNote(*ws))
	}
	return nil
}

// end writes the report. After an abort, rejection or cancel with writes stopped, writes stay stopped
// unless an operator approves resume-writes; an automatic approval never resumes them. There is no page
// of its own at the end: a run that leaves writes stopped pages through the resume-writes gate.
func (c *corruption) end(ctx workflow.Context, err error) (CorruptionReport, error) {
	r := c.r
	phase := r.end(ctx, err, nil)
	if err != nil && c.rep.writesStopped() {
		r.note(fmt.Sprintf("the run %s with writes stopped; they stay stopped unless an operator approves %s", phase, GateResumeWrites))
		c.offerResume(phase)
	}
	c.rep.WritesStopped = c.rep.writesStopped()
	c.rep.Kept = c.rep.kept()
	var rto time.Duration
	if phase == PhaseCompleted {
		rto = c.resumedAt.Sub(r.status.DetectedAt)
	}
	r.finish(phase, rto)
	c.rep.RunSummary = r.summary(phase)
	c.rep.Message = c.rep.message(phase)
	if phase == PhaseFailed {
		return c.rep, err
	}
	if phase == PhaseCancelled {
		return c.rep, temporal.NewCanceledError(c.rep)
	}
	return c.rep, nil
}

// offerResume opens the resume-writes gate, which only a person may approve: resuming writes on the
// original resources may let the corruption go on.
func (c *corruption) offerResume(phase string) {
	r := c.r
	auto := r.common.AutoApprove
	r.common.AutoApprove = false
	_, err := r.gate(GateResumeWrites, gateOpts{Summary: c.rep.resumeSummary(phase), Options: []string{"approve: resume writes", "reject: keep writes stopped"}})
	r.common.AutoApprove = auto
	if err != nil {
		r.note("writes remain stopped: " + GateResumeWrites + " was not approved")
		return
	}
	if err := r.step("resume-writes", "Resume writes after the stop: restore exactly the previous settings", stepOpts{Critical: true}, c.resumeWrites); err != nil {
		r.note("resuming writes did not finish: " + errMessage(err))
	}
}
