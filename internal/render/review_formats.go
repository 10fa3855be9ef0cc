package render

import "github.com/roadcall/dr/workflows"

// The post-incident review in its two formats: Markdown (review.go) and a self-contained HTML page with an
// SVG timeline (html.go, timeline_svg.go), both from the same reading of the run.

// DrillReview renders a DRDrill report as Markdown.
func DrillReview(m ReviewMeta, r workflows.DrillReport) string { return drillReview(m, r).markdown() }

// FailoverReview renders a RegionFailover report as Markdown (a real incident unless a drill's child).
func FailoverReview(m ReviewMeta, r workflows.FailoverReport) string {
	return failoverReview(m, r).markdown()
}

// FailbackReview renders a Failback report as Markdown.
func FailbackReview(m ReviewMeta, r workflows.FailbackReport) string {
	return failbackReview(m, r).markdown()
}

// StatusReview renders a run that has no report as Markdown.
func StatusReview(m ReviewMeta, s workflows.Status) string { return statusReview(m, s).markdown() }

// DrillReviewHTML renders a DRDrill report as an HTML page.
func DrillReviewHTML(m ReviewMeta, r workflows.DrillReport) (string, error) {
	return drillReview(m, r).html()
}

// FailoverReviewHTML renders a RegionFailover report as an HTML page.
func FailoverReviewHTML(m ReviewMeta, r workflows.FailoverReport) (string, error) {
	return failoverReview(m, r).html()
}

// FailbackReviewHTML renders a Failback report as an HTML page.
func FailbackReviewHTML(m ReviewMeta, r workflows.FailbackReport) (string, error) {
	return failbackReview(m, r).html()
}

// StatusReviewHTML renders a run that has no report as an HTML page.
func StatusReviewHTML(m ReviewMeta, s workflows.Status) (string, error) {
	return statusReview(m, s).html()
}

// Formats renders each kind of run in one format.
type Formats struct {
	Drill    func(ReviewMeta, workflows.DrillReport) (string, error)
	Failover func(ReviewMeta, workflows.FailoverReport) (string, error)
	Failback func(ReviewMeta, workflows.FailbackReport) (string, error)
	Status   func(ReviewMeta, workflows.Status) (string, error)
}

// HTMLReview is the HTML page of each kind of run.
var HTMLReview = Formats{Drill: DrillReviewHTML, Failover: FailoverReviewHTML, Failback: FailbackReviewHTML, Status: StatusReviewHTML}
