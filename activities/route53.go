package activities

import (
	"context"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/route53"

	"github.com/roadcall/dr/internal/awsclient"
)

type HealthCheckRef struct {
	ID string `json:"id"`
	// Timeout, when set, makes the read a probe like ProbeRegion's: one attempt within it. Route 53's API
	// lives in us-east-1, and an assessment of a us-east-1 outage must learn that it does not answer, not
	// wait through the SDK's backoff for it.
	Timeout time.Duration `json:"timeout,omitempty"`
}

type HealthCheckInfo struct {
	ID string `json:"id"`
	// Healthy is Route 53's verdict from the checkers' reports (CheckersHealthy).
	Healthy  bool     `json:"healthy"`
	Success  int      `json:"success"`
	Checkers int      `json:"checkers"`
	Sample   string   `json:"sample,omitempty"`
	Failures []string `json:"failures,omitempty"`
}

// GetHealthCheckStatus reads what Route 53's checkers see.
func (a *Activities) GetHealthCheckStatus(ctx context.Context, in HealthCheckRef) (HealthCheckInfo, error) {
	var opts []func(*route53.Options)
	if in.Timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, in.Timeout)
		defer cancel()
		opts = append(opts, func(o *route53.Options) { o.Retryer = awsclient.SingleAttempt() })
	}
	out, err := a.AWS.Route53().GetHealthCheckStatus(ctx, &route53.GetHealthCheckStatusInput{HealthCheckId: aws.String(in.ID)}, opts...)
	if err != nil {
		return HealthCheckInfo{}, classifyRoute53(err, "route53:GetHealthCheckStatus", in.ID)
	}
	info := HealthCheckInfo{ID: in.ID, Checkers: len(out.HealthCheckObservations)}
	for _, o := range out.HealthCheckObservations {
		status := ""
		if o.StatusReport != nil {
			status = aws.ToString(o.StatusReport.Status)
		}
		if info.Sample == "" {
			info.Sample = status
		}
		if strings.HasPrefix(status, "Success") {
			info.Success++
		} else if len(info.Failures) < 3 {
			info.Failures = append(info.Failures, string(o.Region)+": "+status)
		}
	}
	info.Healthy = CheckersHealthy(info.Success, info.Checkers)
	return info, nil
}

// CheckersHealthy is how Route 53 judges an endpoint from its checkers: "If more than 18% of health checkers
// report that an endpoint is healthy, Route 53 considers it healthy. If 18% of health checkers or fewer
// report that an endpoint is healthy, Route 53 considers it unhealthy" (Route 53 Developer Guide, "How
// Amazon Route 53 determines whether a health check is healthy"). A majority rule would call an endpoint
// down that Route 53 still routes to, whenever a network problem cuts most checker locations off.
// GetHealthCheckStatus returns no verdict of its own, so this is the only place the project decides it.
func CheckersHealthy(success, checkers int) bool {
	return checkers > 0 && success*100 > checkers*18
}
