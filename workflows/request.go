package workflows

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/roadcall/dr/internal/identity"
	"github.com/roadcall/dr/internal/topology"
)

// Common is embedded in every scenario request.
type Common struct {
	// Topology is the resolved platform; carried whole so the history replays without files.
	Topology topology.Topology `json:"topology"`
	// Initiator is who started the run; under the two-person rule they may not approve it.
	Initiator string `json:"initiator,omitempty"`
	// InitiatorToken proves the initiator (starter start commands make it): a presigned
	// sts:GetCallerIdentity bound to the workflow ID and the start.
	InitiatorToken *identity.Token `json:"initiatorToken,omitempty"`
	// AutoApprove approves every gate as "auto" (drills), where the worker's policy allows it.
	AutoApprove bool `json:"autoApprove,omitempty"`
	// Drill marks the run as an exercise in search attributes and reports.
	Drill bool `json:"drill,omitempty"`
	// DetectedAt is when the incident was detected; RTO is measured from it (default: the run's start).
	DetectedAt *time.Time `json:"detectedAt,omitempty"`

	// withoutLimits is set for runs recorded before the inputLimits change, which replay as they ran.
	withoutLimits bool

	// decodeProblem keeps what strict decoding found (an unknown field) for Validate to report, because a
	// decode error would fail the workflow task forever instead of failing the run with a clear message.
	decodeProblem error
}

// Base is the common part of a scenario request, for tools that handle every request alike.
func (c *Common) Base() *Common { return c }

// Prepare fills topology defaults and validates the common part; scenario requests call it first.
func (c *Common) Prepare() error {
	if c.decodeProblem != nil {
		return c.decodeProblem
	}
	c.Topology.ApplyDefaults()
	if c.withoutLimits {
		return c.Topology.ValidateWithoutLimits()
	}
	return c.Topology.Validate()
}

// adoptLimits decides whether this run checks the input limits: runs recorded before them replay without.
// It must be the workflow's first call, before Validate.
func (c *Common) adoptLimits(ctx workflow.Context) {
	c.withoutLimits = version(ctx, inputLimits) == workflow.DefaultVersion
}

// longStrings refuses, before anything else reads them, request strings over their limits.
func (c *Common) longStrings(req any) topology.Errors {
	if c.withoutLimits {
		return nil
	}
	return topology.LongStrings(req)
}

// decodeStrict decodes b into v with the topology's strict decoder; an unknown field is recorded in
// problem and the value decoded leniently, so the workflow can refuse the run with the field's name
// instead of failing its task on a decode error.
func decodeStrict(b []byte, v any, problem *error) error {
	p, err := topology.DecodeLenient(b, v)
	if p != nil {
		*problem = p
	}
	return err
}

// RefuseInput records that the request's payload could not be decoded at all (malformed JSON from some
// client), so the workflow refuses the run with InvalidRequest instead of the SDK failing it opaquely.
func (c *Common) RefuseInput(err error) {
	if fe, ok := topology.FieldOf(err); ok {
		c.decodeProblem = topology.Errors{fe}
		return
	}
	c.decodeProblem = fmt.Errorf("request: malformed JSON (%v); send one JSON object such as examples/requests/*.json", err)
}

// durationField is a request duration checked by durationProblems; min and max, when set, are its limits.
type durationField struct {
	name     string
	v        topology.Duration
	min, max time.Duration
}

// durationProblems refuses request durations below zero and, under the limits, outside min and max;
// zero keeps the default.
func (c *Common) durationProblems(fields ...durationField) topology.Errors {
	var es topology.Errors
	for _, d := range fields {
		switch {
		case d.v < 0:
			es = append(es, topology.FieldError{Field: d.name, Problem: fmt.Sprintf("must not be negative, got %s", d.v), Fix: "leave it out for the default or give a positive duration"})
		case c.withoutLimits || d.v == 0:
		case d.min > 0 && d.v.D() < d.min:
			es = append(es, topology.FieldError{Field: d.name, Problem: fmt.Sprintf("%s is under the minimum of %s", d.v, d.min), Fix: limitsFix(d)})
		case d.max > 0 && d.v.D() > d.max:
			es = append(es, topology.FieldError{Field: d.name, Problem: fmt.Sprintf("%s is over the maximum of %s", d.v, d.max), Fix: limitsFix(d)})
		}
	}
	return es
}

func limitsFix(d durationField) string {
	if d.min > 0 && d.max > 0 {
		return fmt.Sprintf("give a duration from %s to %s, or leave it out for the default", d.min, d.max)
	}
	if d.max > 0 {
		return fmt.Sprintf("give at most %s, or leave it out for the default", d.max)
	}
	return fmt.Sprintf("give at least %s, or leave it out for the default", d.min)
}

// Request duration limits.
const (
	MinProbeTimeout = 100 * time.Millisecond
	MaxProbeTimeout = time.Minute
)

// initiatorProblems refuses a gated run under the two-person rule that names no initiator: the approve
// validator could not tell the initiator from anyone else, and the rule would pass unnoticed.
func (c *Common) initiatorProblems() topology.Errors {
	if c.Topology.Approvals.TwoPerson && !c.AutoApprove && strings.TrimSpace(c.Initiator) == "" {
		return topology.Errors{{Field: "initiator", Problem: "is missing while approvals.twoPerson is on",
			Fix: "say who starts the run (starter --initiator) so that someone else approves it"}}
	}
	return nil
}

// invalid wraps a validation failure as the non-retryable InvalidRequest error.
func invalid(err error) error {
	if err == nil {
		return nil
	}
	return temporal.NewNonRetryableApplicationError(err.Error(), ErrInvalidRequest, nil)
}

// IsInvalidRequest reports whether err is (or wraps) an InvalidRequest application error.
func IsInvalidRequest(err error) bool {
	var ae *temporal.ApplicationError
	return errors.As(err, &ae) && ae.Type() == ErrInvalidRequest
}
