// Package drworker wires workflows and activities into a Temporal worker, shared by the worker binary,
// the end-to-end harness and the demo.
package drworker

import (
	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/worker"

	"github.com/roadcall/dr/activities"
	"github.com/roadcall/dr/internal/reviews"
	"github.com/roadcall/dr/workflows"
)

// Register registers every workflow under its function name and every activity under its method name.
func Register(w worker.Registry, acts *activities.Activities) {
	for _, wf := range workflows.All() {
		w.RegisterWorkflow(wf)
	}
	w.RegisterActivity(acts)
	// The review upload renders with internal/render, so it lives outside activities/ (see reviews).
	w.RegisterActivityWithOptions((&reviews.Uploader{AWS: acts.AWS}).UploadReview, activity.RegisterOptions{Name: workflows.ActivityUploadReview})
}
