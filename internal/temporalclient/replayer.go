package temporalclient

import (
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
