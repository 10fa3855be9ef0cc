package temporalclient

import (
	"context"
	"fmt"

	"go.temporal.io/api/common/v1"
	historypb "go.temporal.io/api/history/v1"
	"go.temporal.io/api/proxy"
	"go.temporal.io/sdk/worker"
)

// NewReplayer is a workflow replayer that decodes payloads as the worker does: an encrypted history
// decrypts with codec's keys, a plaintext one (recorded before encryption, or a golden) passes through.
func NewReplayer(codec *Codec) (worker.WorkflowReplayer, error) {
	return worker.NewWorkflowReplayerWithOptions(worker.WorkflowReplayerOptions{
		DataConverter:    CodecDataConverter(codec),
		FailureConverter: FailureConverter(codec),
	})
}

// CheckDecodable decodes every payload of h with codec and returns the first failure. Replay it first:
// a payload the replayer cannot decode fails a workflow task, which the replayer reports as a
// non-determinism error (TMPRL1100) that hides the missing or wrong key.
func CheckDecodable(codec *Codec, h *historypb.History) error {
	if codec == nil {
		codec = &Codec{}
	}
	return proxy.VisitPayloads(context.Background(), h, proxy.VisitPayloadsOptions{
		SkipSearchAttributes: true,
		Visitor: func(_ *proxy.VisitPayloadsContext, p []*common.Payload) ([]*common.Payload, error) {
			if _, err := codec.Decode(p); err != nil {
				return nil, fmt.Errorf("history cannot be decoded: %w", err)
			}
			return p, nil
		},
	})
}
