package workflows

import (
	"fmt"
	"math"
	"strings"
	"time"

	"github.com/roadcall/dr/activities"
)

// The vocabulary of PartialDegradation's report. The String and Command methods stay here, not in
// internal/render, because the workflow itself writes them into gate summaries, step details, activity
// summaries and SNS messages, which must come out the same on every replay.

// Results of a PartialDegradation run (DegradationReport.Result).
const (
	DegNothingToDo       = "nothing-to-do"      // no function or table over its thresholds; nothing changed
	DegNothingToScale    = "nothing-to-scale"   // symptoms only (API errors or latency, DynamoDB UserErrors) that capacity does not fix
	DegRejected          = "rejected"           // the plan was rejected; nothing changed
	DegNoDecision        = "no-decision"        // nobody decided on the plan before its deadline; nothing changed
	DegRecoveredReverted = "recovered-reverted" // applied, recovered, restored to the recorded settings
	DegRecoveredKept     = "recovered-kept"     // applied, recovered, revert rejected: scaled settings stay
	DegNotRecoveredKept  = "not-recovered-kept" // applied, the operator stopped watching: scaled settings stay
	DegReverted          = "reverted"           // applied, then aborted or cancelled: restored to the recorded settings
	DegRevertIncomplete  = "revert-incomplete"  // a restore failed: see the report's restore commands
	DegStopped           = "stopped"            // aborted or cancelled before anything was applied
)

// Severities of an affected resource, from how far its worst metric is over the threshold.
const (
	SeverityCritical = "critical" // 5× the threshold or more
	SeverityMajor    = "major"    // 2× or more
	SeverityMinor    = "minor"    // over the threshold
)

// Evidence is one metric compared with its threshold.
type Evidence struct {
	Metric    string  `json:"metric"`
	Stat      string  `json:"stat"`
	Value     float64 `json:"value"`
	Threshold float64 `json:"threshold"`
	// Unit says how to read Value: "per minute" for counts, "ms", or "rate" (0..1).
	Unit     string `json:"unit"`
	Breached bool   `json:"breached"`
	// NoData: CloudWatch returned no datapoints (nothing invoked or nothing published), read as healthy.
	NoData bool `json:"noData,omitempty"`
}

func (e Evidence) String() string {
	op := "≤"
	if e.Breached {
		op = ">"
	}
	v := fmt.Sprintf("%s %s %g %s %g %s", e.Metric, e.Stat, degRound(e.Value), op, e.Threshold, e.Unit)
	if e.NoData {
		v += " (no data)"
	}
	return v
}

func degRound(v float64) float64 { return math.Round(v*100) / 100 }

// AffectedResource is a resource over at least one threshold.
type AffectedResource struct {
	Kind     string     `json:"kind"` // function, table or api
	Name     string     `json:"name"`
	Region   string     `json:"region"`
	Severity string     `json:"severity"`
	Evidence []Evidence `json:"evidence"`
}

func (r AffectedResource) String() string {
	var ev []string
	for _, e := range r.Evidence {
		if e.Breached {
			ev = append(ev, e.String())
		}
	}
	return fmt.Sprintf("%s %s %s [%s]: %s", strings.ToUpper(r.Severity), r.Kind, r.Name, r.Region, strings.Join(ev, "; "))
}

// ScalingAction is one change of the plan, or the restore of one recorded setting.
type ScalingAction struct {
	Kind     string `json:"kind"` // lambda-concurrency or dynamodb-capacity
	Resource string `json:"resource"`
	Region   string `json:"region"`
	// Reserved is the function's reserved concurrency; nil means none (restored with a delete).
	Reserved *int32 `json:"reserved,omitempty"`
	// Capacity is the table's billing mode and capacity.
	Capacity *activities.TableCapacity `json:"capacity,omitempty"`
}

// Scaling action kinds.
const (
	ActionLambdaConcurrency = "lambda-concurrency"
	ActionDynamoCapacity    = "dynamodb-capacity"
)

func (s ScalingAction) String() string {
	if s.Kind == ActionLambdaConcurrency {
		if s.Reserved == nil {
			return fmt.Sprintf("Lambda %s in %s: no reserved concurrency", s.Resource, s.Region)
		}
		return fmt.Sprintf("Lambda %s in %s: reserved concurrency %d", s.Resource, s.Region, *s.Reserved)
	}
	return fmt.Sprintf("DynamoDB %s in %s: %s", s.Resource, s.Region, s.Capacity)
}

// Command is the AWS CLI equivalent, for the gate, the report and anyone finishing by hand.
func (s ScalingAction) Command() string {
	if s.Kind == ActionLambdaConcurrency {
		if s.Reserved == nil {
			return fmt.Sprintf("aws lambda delete-function-concurrency --function-name %s --region %s", s.Resource, s.Region)
		}
		return fmt.Sprintf("aws lambda put-function-concurrency --function-name %s --reserved-concurrent-executions %d --region %s", s.Resource, *s.Reserved, s.Region)
	}
	c := fmt.Sprintf("aws dynamodb update-table --table-name %s --billing-mode %s", s.Resource, s.Capacity.BillingMode)
	if s.Capacity.BillingMode == activities.BillingProvisioned {
		c += fmt.Sprintf(" --provisioned-throughput ReadCapacityUnits=%d,WriteCapacityUnits=%d", s.Capacity.ReadCapacity, s.Capacity.WriteCapacity)
	}
	c += " --region " + s.Region
	if !s.Capacity.AutoScaled {
		return c
	}
	// In the order AWS accepts on a global table: write auto scaling before going PROVISIONED, and
	// on-demand before the targets go.
	as := activities.AutoScalingCommands(s.Resource, *s.Capacity, nil)
	if s.Capacity.BillingMode == activities.BillingProvisioned {
		return strings.Join(append(as, c), " && ")
	}
	return strings.Join(append([]string{c}, as...), " && ")
}

// FallbackCheck is the runbook's "verify fallback mechanisms are working": the degraded-mode health URL.
type FallbackCheck struct {
	URL     string `json:"url,omitempty"`
	Checked bool   `json:"checked"`
	Healthy bool   `json:"healthy"`
	State   string `json:"state"`
}

// WatchSummary is how the recovery watch went.
type WatchSummary struct {
	Polls          int       `json:"polls"`
	HealthyStreak  int       `json:"healthyStreak"`
	HealthyPeriods int       `json:"healthyPeriods"`
	Escalations    int       `json:"escalations"`
	Recovered      bool      `json:"recovered"`
	RecoveredAt    time.Time `json:"recoveredAt,omitzero"`
	// Unhealthy is the last poll's evidence over threshold.
	Unhealthy []string `json:"unhealthy,omitempty"`
}
