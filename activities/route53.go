package activities

import (
	"context"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/route53"
)

type HealthCheckRef struct {
	ID string `json:"id"`
}

type HealthCheckInfo struct {
	ID string `json:"id"`
	// Healthy is true when most checkers report success, as Route 53 decides.
	Healthy  bool     `json:"healthy"`
	Success  int      `json:"success"`
	Checkers int      `json:"checkers"`
	Sample   string   `json:"sample,omitempty"`
	Failures []string `json:"failures,omitempty"`
}

// GetHealthCheckStatus reads what Route 53's checkers see.
func (a *Activities) GetHealthCheckStatus(ctx context.Context, in HealthCheckRef) (HealthCheckInfo, error) {
	out, err := a.AWS.Route53().GetHealthCheckStatus(ctx, &route53.GetHealthCheckStatusInput{HealthCheckId: aws.String(in.ID)})
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
	info.Healthy = info.Checkers > 0 && info.Success*2 > info.Checkers
	return info, nil
}
