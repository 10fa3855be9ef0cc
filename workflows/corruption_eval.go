package workflows

import (
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"go.temporal.io/sdk/temporal"

	"github.com/roadcall/dr/activities"
	"github.com/roadcall/dr/internal/topology"
)

// The pure part of DataCorruptionRecovery: what the steps decide from what AWS answered, and the texts
// the gates, pages and report carry. Nothing here calls AWS or reads the workflow clock.

// chosenTime is the approval's value when it carries one, else the proposed time.
func chosenTime(ap Approval, proposed time.Time) (time.Time, error) {
	if strings.TrimSpace(ap.Value) == "" {
		return proposed, nil
	}
	at, err := time.Parse(time.RFC3339, strings.TrimSpace(ap.Value))
	if err != nil {
		return time.Time{}, fmt.Errorf("value: %q is not an RFC 3339 time such as 2025-06-01T14:25:00Z", ap.Value)
	}
	return at.UTC().Truncate(time.Second), nil
}

// restorePoint is the restore time an approval picks, refused when it is no time or outside the window
// as of now.
func (rep *CorruptionReport) restorePoint(ap Approval, now time.Time) (time.Time, error) {
	at, err := chosenTime(ap, rep.ProposedRestoreTime)
	if err != nil {
		return time.Time{}, err
	}
	return at, rep.inWindow(at, now)
}

// proposedRestoreTime is the corruption start minus the margin, to the second: the restore point the
// restore-point gate proposes.
func proposedRestoreTime(started time.Time, margin time.Duration) time.Time {
	return started.Add(-margin).Truncate(time.Second)
}

// restoredName is what a restore of source to at is called: the minute in the name keeps restores to
// different points apart, and a retried restore to the same point finds its own target again.
func restoredName(source string, at time.Time) string {
	return source + "-restored-" + at.UTC().Format("200601021504")
}

// commonWindow is the span every enabled window covers; ok is false when none is enabled. off lists the
// resources whose point-in-time recovery is off.
func commonWindow(wins []RestoreWindow) (earliest, latest time.Time, ok bool, off []string) {
	for _, w := range wins {
		if !w.Enabled {
			off = append(off, w.Resource)
			continue
		}
		if !ok || w.Earliest.After(earliest) {
			earliest = w.Earliest
		}
		if !ok || w.Latest.Before(latest) {
			latest = w.Latest
		}
		ok = true
	}
	return earliest, latest, ok, off
}

// windowProblem says why no point-in-time restore is possible, or nil when one is: non-retryable, since
// asking AWS again gives the same answer.
func windowProblem(earliest, latest time.Time, off []string, region string) error {
	if len(off) > 0 {
		return temporal.NewNonRetryableApplicationError(fmt.Sprintf("point-in-time recovery is off for %s in %s: no point-in-time restore is possible; "+
			"leave them out of the request's tables (restore them from the vault's recovery points by hand) and start again", strings.Join(off, ", "), region), "PointInTimeRecoveryUnavailableException", nil)
	}
	if earliest.After(latest) {
		return temporal.NewNonRetryableApplicationError(fmt.Sprintf("the restorable windows do not overlap: the latest common start %s is after the earliest end %s",
			earliest.Format(time.RFC3339), latest.Format(time.RFC3339)), "InvalidRestoreTimeException", nil)
	}
	return nil
}

// completedPoints counts the completed recovery points and finds the newest.
func completedPoints(points []activities.RecoveryPointInfo) (n int, newest time.Time) {
	for _, p := range points {
		if p.Status == "COMPLETED" {
			n++
			if p.Created.After(newest) {
				newest = p.Created.UTC()
			}
		}
	}
	return n, newest
}

// window is the span every resource can be restored to as of now: each resource's latest restorable time
// trails the present by a fixed lag, so it has moved on by the time passed since the assessment.
func (rep *CorruptionReport) window(now time.Time) (time.Time, time.Time) {
	shift := max(now.Sub(rep.AssessedAt), 0)
	return rep.WindowEarliest, rep.WindowLatest.Add(shift)
}

// inWindow refuses a restore time outside the window, naming every resource's own window so the
// approver sees which one limits it.
func (rep *CorruptionReport) inWindow(at, now time.Time) error {
	e, l := rep.window(now)
	if at.Before(e) || at.After(l) {
		var each []string
		for _, w := range rep.Windows {
			each = append(each, fmt.Sprintf("%s %s to %s", w.Resource, w.Earliest.Format(time.RFC3339), w.Latest.Format(time.RFC3339)))
		}
		return fmt.Errorf("value: restore time %s is outside the window every resource can be restored to, %s to %s (%s)",
			at.Format(time.RFC3339), e.Format(time.RFC3339), l.Format(time.RFC3339), strings.Join(each, "; "))
	}
	return nil
}

// probeRows pairs the integrity keys read in the source with those read in the restore.
func probeRows(src, dst []activities.ItemProbe) []ProbeRow {
	var rows []ProbeRow
	for j := range min(len(src), len(dst)) {
		rows = append(rows, ProbeRow{Key: src[j].Key, InSource: src[j].Found, InRestored: dst[j].Found, Same: src[j].Found == dst[j].Found && src[j].Digest == dst[j].Digest})
	}
	return rows
}

// differences explains, for the cutover gate, how a restored table differs from its source and why.
func (v TableValidation) differences(limit int32) []string {
	var out []string
	switch d := v.RestoredCount - v.SourceCount; {
	case !v.Complete:
		out = append(out, fmt.Sprintf("%s: counted only up to %d items (corruption.scanLimit): source %d, restored %d", v.Table, limit, v.SourceCount, v.RestoredCount))
	case d < 0:
		out = append(out, fmt.Sprintf("%s: the restore has %d items, the source %d (%d fewer: written after the restore point)", v.Table, v.RestoredCount, v.SourceCount, -d))
	case d > 0:
		out = append(out, fmt.Sprintf("%s: the restore has %d items, the source %d (%d more: deleted after the restore point)", v.Table, v.RestoredCount, v.SourceCount, d))
	}
	for _, p := range v.Probes {
		switch {
		case !p.InRestored:
			out = append(out, fmt.Sprintf("%s: integrity key %s is MISSING from the restore %s", v.Table, p.Key, v.Restored))
		case !p.InSource:
			out = append(out, fmt.Sprintf("%s: integrity key %s exists in the restore but not in the source (deleted after the restore point)", v.Table, p.Key))
		case !p.Same:
			out = append(out, fmt.Sprintf("%s: integrity key %s differs between source and restore (changed after the restore point)", v.Table, p.Key))
		}
	}
	return out
}

// replacements maps each source resource name (and cluster endpoint) to its restored counterpart.
func (rep *CorruptionReport) replacements() map[string]string {
	m := map[string]string{}
	for _, res := range rep.Restored {
		m[res.Source] = res.Target
		if res.SourceEndpoint != "" && res.Endpoint != "" {
			m[res.SourceEndpoint] = res.Endpoint
		}
	}
	return m
}

// cutoverValues are the names (and endpoints) to look for in the functions' environments: the sources
// the cutover replaces and the targets some variable may name already.
func (rep *CorruptionReport) cutoverValues() []string {
	var values []string
	for _, res := range rep.Restored {
		values = append(values, res.Source, res.Target)
		if res.SourceEndpoint != "" && res.Endpoint != "" {
			values = append(values, res.SourceEndpoint, res.Endpoint)
		}
	}
	return values
}

// cutoverPlan says, per restored resource, which function variables the cutover changes; envs[i] is
// what functions fns[i] answered. A restore nothing names is said loudly: the application would not use it.
func cutoverPlan(restored []RestoredResource, fns []string, envs []activities.FunctionEnv) []string {
	var plan []string
	for _, res := range restored {
		var holders []string
		for i, fn := range fns {
			for _, k := range envs[i].Holders[res.Source] {
				holders = append(holders, fn+"."+k)
			}
			for _, k := range envs[i].Holders[res.Target] {
				holders = append(holders, fn+"."+k+" (already)")
			}
		}
		if len(holders) == 0 {
			plan = append(plan, fmt.Sprintf("%s → %s: NO function variable names it; the application will not use this restore", res.Source, res.Target))
			continue
		}
		plan = append(plan, fmt.Sprintf("%s → %s: %s", res.Source, res.Target, strings.Join(holders, ", ")))
	}
	return plan
}

// ssmValue is what the application reads from corruption.ssmParameter in the ssm cutover mode.
func (rep *CorruptionReport) ssmValue() string {
	v := struct {
		Region         string            `json:"region"`
		RestoreTime    time.Time         `json:"restoreTime"`
		Tables         map[string]string `json:"tables"`
		AuroraCluster  string            `json:"auroraCluster,omitempty"`
		AuroraEndpoint string            `json:"auroraEndpoint,omitempty"`
	}{Region: rep.Region, RestoreTime: rep.RestoreTime, Tables: map[string]string{}}
	for _, res := range rep.Restored {
		if res.Kind == "aurora-cluster" {
			v.AuroraCluster, v.AuroraEndpoint = res.Target, res.Endpoint
		} else {
			v.Tables[res.Source] = res.Target
		}
	}
	b, _ := json.Marshal(v)
	return string(b)
}

// resumeChange is the environment change that puts READ_ONLY_MODE back as it was before the stop: its
// previous value, or removed when it was not set.
func resumeChange(ws WriteStop, region string) activities.EnvChange {
	ch := activities.EnvChange{Region: region, Function: ws.Resource}
	if ws.PriorValue == nil {
		ch.Unset = []string{ReadOnlyVar}
	} else {
		ch.Set = map[string]string{ReadOnlyVar: *ws.PriorValue}
	}
	return ch
}

// aliasResumeNote says where a resume after a cutover left an alias, and why not where it was before.
func aliasResumeNote(ws WriteStop) string {
	return fmt.Sprintf("%s: alias %s now serves version %s ($LATEST with the cutover's environment and %s as before the stop); it pointed at %s before the stop, which names the corrupted resources, so that routing was not restored",
		ws.Resource, ws.Alias.Name, ws.Alias.Resumed.Version, ReadOnlyVar, aliasTargetText(ws.Alias.Prior))
}

// aliasTargetText is where an alias sends invocations, "version 3 + version 4 at 0.1", in a stable order.
func aliasTargetText(t activities.AliasTarget) string {
	s := "version " + t.Version
	for _, v := range sortedKeys(t.Weights) {
		s += fmt.Sprintf(" + version %s at %g", v, t.Weights[v])
	}
	return s
}

// writesStopped reports whether any write stop was (or may have been) applied and not yet undone.
func (rep *CorruptionReport) writesStopped() bool {
	for _, ws := range rep.WriteStops {
		if ws.Recorded && !ws.Resumed {
			return true
		}
	}
	return false
}

// kept names the restored resources left in place, for the operator who cleans up.
func (rep *CorruptionReport) kept() []string {
	var kept []string
	for _, res := range rep.Restored {
		if res.Requested {
			kept = append(kept, fmt.Sprintf("%s %s (restore of %s, %s)", res.Kind, res.Target, res.Source, orUnknown(res.Status)))
		}
	}
	return kept
}

// stopTitle is the stop-writes step's title in the topology's write-stop mode.
func stopTitle(writeStop string) string {
	if writeStop == topology.WriteStopAPIThrottle {
		return "Stop writes: throttle the API stage to 0 for all methods"
	}
	return fmt.Sprintf("Stop writes: %s=true merged into every function's environment", ReadOnlyVar)
}

// stoppedPage is the page sent once writes are stopped.
func stoppedPage(t topology.Topology, started time.Time) (subject, message string) {
	return fmt.Sprintf("Writes stopped on %s: data corruption recovery under way", t.ID()),
		fmt.Sprintf("Corruption reported from %s. Writes are stopped (%s) until the restored data is cut over.", started.Format(time.RFC3339), t.Corruption.WriteStop)
}

// replicationNote tells, after the cutover, that the restored resources are not replicated to the other
// region: DR protection has to be set up again by hand.
func replicationNote(t topology.Topology, region string, skipAurora bool) string {
	other := t.DRRegion
	if region == t.DRRegion {
		other = t.PrimaryRegion
	}
	what := "the restored tables are single-region tables"
	if !skipAurora {
		what += " and the restored cluster is outside global cluster " + t.Aurora.GlobalClusterID
	}
	return fmt.Sprintf("%s: re-establish replication to %s to get DR protection back", what, other)
}

// restorePointSummary is the restore-point gate's summary.
func (rep *CorruptionReport) restorePointSummary(margin topology.Duration) string {
	e, l := rep.window(rep.AssessedAt)
	s := fmt.Sprintf("Restore %d resource(s) to %s: the corruption started at %s, minus the margin of %s. Every resource can be restored to any time from %s to %s (the end moves with the clock).",
		len(rep.Restored), rep.ProposedRestoreTime.Format(time.RFC3339), rep.CorruptionStartedAt.Format(time.RFC3339), margin,
		e.Format(time.RFC3339), l.Format(time.RFC3339))
	if rep.inWindow(rep.ProposedRestoreTime, rep.AssessedAt) != nil {
		s += " The proposed time is OUTSIDE that window: approve with value set to a time inside it."
	}
	s += " Approve as proposed, or approve with value=<RFC 3339 time> to choose another time. Writes stay stopped meanwhile."
	if rep.RecoveryPoints > 0 {
		s += fmt.Sprintf(" The vault also holds %d recent recovery point(s), the newest from %s.", rep.RecoveryPoints, rep.NewestRecoveryPoint.Format(time.RFC3339))
	}
	return s
}

// cutoverSummary is the cutover gate's summary; validationSkipped says an operator skipped a failed
// validation.
func (rep *CorruptionReport) cutoverSummary(validationSkipped bool) string {
	var b strings.Builder
	fmt.Fprintf(&b, "Point the application at the data restored to %s, then resume writes.", rep.RestoreTime.Format(time.RFC3339))
	fmt.Fprintf(&b, " Cutover: %s.", strings.Join(rep.CutoverPlan, "; "))
	if validationSkipped {
		// "No differences" would read as a clean comparison.
		b.WriteString(" Validation was SKIPPED: the restored data was NOT compared with the source; check it before approving.")
	} else if len(rep.Differences) == 0 {
		b.WriteString(" Validation found no differences.")
	} else {
		fmt.Fprintf(&b, " Validation found %d difference(s): %s.", len(rep.Differences), strings.Join(rep.Differences, "; "))
	}
	b.WriteString(" Reject to keep writes stopped and the restored resources in place.")
	return b.String()
}

// resumeSummary is the resume-writes gate's summary after a run that ended with writes stopped: it says
// which resources the application would write to again.
func (rep *CorruptionReport) resumeSummary(phase string) string {
	target := "the ORIGINAL resources, which may hold corrupted data"
	if rep.CutoverDone {
		target = "the restored resources (the cutover was done)"
	}
	return fmt.Sprintf("The run %s while writes were stopped on %d resource(s). Approve to restore exactly the previous settings, so the application writes again to %s; reject, or let the deadline pass, to keep writes stopped.",
		phase, len(rep.WriteStops), target)
}

// message is the report's one-line outcome; it leads with writes still being stopped, the thing that
// needs someone now.
func (rep *CorruptionReport) message(phase string) string {
	var kept []string
	for _, res := range rep.Restored {
		if res.Requested {
			kept = append(kept, res.Target)
		}
	}
	switch {
	case phase == PhaseCompleted:
		return fmt.Sprintf("Restored to %s and cut over to %s; writes resumed.", rep.RestoreTime.Format(time.RFC3339), strings.Join(kept, ", "))
	case rep.WritesStopped:
		s := fmt.Sprintf("Run %s. WRITES ARE STILL STOPPED (%s).", phase, rep.WriteStopMode)
		if len(kept) > 0 {
			s += " Restored resources kept: " + strings.Join(kept, ", ") + "."
		}
		return s
	}
	s := fmt.Sprintf("Run %s; writes are not stopped.", phase)
	if len(kept) > 0 {
		s += " Restored resources kept: " + strings.Join(kept, ", ") + "."
	}
	return s
}
