package workflows

import (
	"encoding/json"
	"errors"
	"fmt"

	"go.temporal.io/sdk/converter"
)

// Limits on what a signal or update may carry. Everything a run records (status, ignored, the report) is
// built from bounded pieces, so the status query and the result stay under Temporal's 2 MB blob limit and
// a refusal never quotes more than a prefix of what it refuses.
const (
	MaxGateLen     = 64
	MaxDecisionLen = 16
	// MaxPrincipalLen is IAM's limit on an ARN.
	MaxPrincipalLen = 2048
	MaxCommentLen   = 1024
	MaxValueLen     = 64
	MaxStepLen      = 64
	// MaxIgnored is how many refused signals status keeps (the latest); older ones are only counted.
	MaxIgnored = 20
	// maxIgnoredLen bounds one ignored entry; maxQuote bounds a bad value quoted into a refusal.
	maxIgnoredLen = 500
	maxQuote      = 40
	// MaxNotes is how many notes status keeps: the first maxNotesHead (how the run began) and the latest.
	MaxNotes     = 400
	maxNotesHead = 100
	maxNoteLen   = 1000
)

type lengthField struct {
	name string
	v    string
	max  int
}

// tooLong names the first field over its limit without quoting it: a 1 MB value quoted back would make
// the refusal itself exceed the server's message limit.
func tooLong(fields ...lengthField) error {
	for _, f := range fields {
		if len(f.v) > f.max {
			return fmt.Errorf("%s: %d bytes, over the %d-byte limit", f.name, len(f.v), f.max)
		}
	}
	return nil
}

func (ap Approval) lengthProblem() error {
	return tooLong(lengthField{"gate", ap.Gate, MaxGateLen}, lengthField{"decision", ap.Decision, MaxDecisionLen},
		lengthField{"approver", ap.Approver, MaxPrincipalLen}, lengthField{"comment", ap.Comment, MaxCommentLen},
		lengthField{"value", ap.Value, MaxValueLen})
}

func (op OperatorAction) lengthProblem() error {
	return tooLong(lengthField{"action", op.Action, MaxDecisionLen}, lengthField{"step", op.Step, MaxStepLen},
		lengthField{"operator", op.Operator, MaxPrincipalLen}, lengthField{"comment", op.Comment, MaxCommentLen})
}

// decodeSignal decodes a signal's raw payload into v. The SDK, decoding for us, drops a payload it cannot
// decode with nothing but a worker log line; taking the raw payload lets the run record why in ignored.
func decodeSignal(raw converter.RawValue, v any) error {
	p := raw.Payload()
	if p == nil {
		return errors.New("input: missing; send one JSON object")
	}
	if enc := string(p.GetMetadata()[converter.MetadataEncoding]); enc != converter.MetadataEncodingJSON {
		return fmt.Errorf("input: encoding %q, want %s (one JSON object)", bounded(enc, maxQuote), converter.MetadataEncodingJSON)
	}
	return jsonFieldError(json.Unmarshal(p.GetData(), v))
}

// jsonFieldError names the field a JSON decoding error is about.
func jsonFieldError(err error) error {
	if err == nil {
		return nil
	}
	var ute *json.UnmarshalTypeError
	if errors.As(err, &ute) {
		if ute.Field == "" {
			return fmt.Errorf("input: is a JSON %s, want an object", ute.Value)
		}
		return fmt.Errorf("%s: has JSON type %s, want %s", ute.Field, ute.Value, ute.Type)
	}
	var syn *json.SyntaxError
	if errors.As(err, &syn) {
		return fmt.Errorf("input: malformed JSON at byte %d: %v", syn.Offset, syn)
	}
	return errors.New(bounded(err.Error(), 300))
}
