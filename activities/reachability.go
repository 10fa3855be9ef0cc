package activities

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/aws/smithy-go"

	"github.com/roadcall/dr/internal/awsclient"
)

// ProbeInput asks whether a region answers at all.
type ProbeInput struct {
	Region    string `json:"region"`
	HealthURL string `json:"healthUrl,omitempty"`
	// Timeout bounds each probe; a dead region must not hold the assessment for the SDK's default timeouts.
	Timeout time.Duration `json:"timeout,omitempty"`
}

// Reachability is what the runbook's "aws ec2 describe-regions --region X || echo unreachable" learns, plus
// whether STS answers there and whether the API's health URL answers. EC2 and STS are true when the
// endpoint answered, even with an error (the error is kept): a throttled region is not a dead one.
type Reachability struct {
	Region       string `json:"region"`
	EC2          bool   `json:"ec2"`
	EC2Error     string `json:"ec2Error,omitempty"`
	STS          bool   `json:"sts"`
	Account      string `json:"account,omitempty"`
	STSError     string `json:"stsError,omitempty"`
	HealthURL    string `json:"healthUrl,omitempty"`
	HealthStatus int    `json:"healthStatus,omitempty"`
	HealthError  string `json:"healthError,omitempty"`
	// Reachable: the region's control plane answered (EC2 and STS).
	Reachable bool `json:"reachable"`
	// Healthy: the API's health URL answered 2xx (false when no URL was given).
	Healthy bool `json:"healthy"`
}

// Summary is a one-line verdict for reports.
func (r Reachability) Summary() string {
	s := fmt.Sprintf("%s: control plane ", r.Region)
	if r.Reachable {
		s += "reachable"
	} else {
		s += "UNREACHABLE"
		if r.EC2Error != "" {
			s += " (" + r.EC2Error + ")"
		}
	}
	if r.HealthURL != "" {
		if r.Healthy {
			s += fmt.Sprintf(", health URL %d", r.HealthStatus)
		} else if r.HealthError != "" {
			s += ", health URL failing (" + r.HealthError + ")"
		} else {
			s += fmt.Sprintf(", health URL failing (HTTP %d)", r.HealthStatus)
		}
	}
	return s
}

// ProbeRegion runs the three probes at once, each with a short timeout and a single attempt. An
// unreachable region is an answer, not an error: the workflow decides what it means.
func (a *Activities) ProbeRegion(ctx context.Context, in ProbeInput) (Reachability, error) {
	timeout := in.Timeout
	if timeout <= 0 {
		timeout = 5 * time.Second
	}
	r := Reachability{Region: in.Region, HealthURL: in.HealthURL}
	var wg sync.WaitGroup
	wg.Add(3)
	go func() {
		defer wg.Done()
		c, cancel := context.WithTimeout(ctx, timeout)
		defer cancel()
		_, err := a.AWS.EC2(in.Region).DescribeRegions(c, &ec2.DescribeRegionsInput{RegionNames: []string{in.Region}},
			func(o *ec2.Options) { o.Retryer = awsclient.SingleAttempt() })
		r.EC2, r.EC2Error = answered(err), probeError(err, "ec2:DescribeRegions", in.Region, timeout)
	}()
	go func() {
		defer wg.Done()
		c, cancel := context.WithTimeout(ctx, timeout)
		defer cancel()
		out, err := a.AWS.STS(in.Region).GetCallerIdentity(c, &sts.GetCallerIdentityInput{},
			func(o *sts.Options) { o.Retryer = awsclient.SingleAttempt() })
		r.STS, r.STSError = answered(err), probeError(err, "sts:GetCallerIdentity", in.Region, timeout)
		if err == nil {
			r.Account = aws.ToString(out.Account)
		}
	}()
	go func() {
		defer wg.Done()
		if in.HealthURL == "" {
			return
		}
		st, err := a.getURL(ctx, in.HealthURL, timeout)
		r.HealthStatus = st
		r.Healthy = err == nil && st >= 200 && st < 300
		if err != nil {
			r.HealthError = err.Error()
		}
	}()
	wg.Wait()
	if ctx.Err() != nil {
		return r, ctx.Err()
	}
	r.Reachable = r.EC2 && r.STS
	return r, nil
}

// answered: an AWS error response (throttling, access denied) proves the endpoint is up; only a network
// error or a timeout says the region cannot be reached.
func answered(err error) bool {
	var ae smithy.APIError
	return err == nil || errors.As(err, &ae)
}

func probeError(err error, op, region string, timeout time.Duration) string {
	if err == nil {
		return ""
	}
	msg := err.Error()
	if len(msg) > 300 {
		msg = truncateUTF8(msg, 300, "…")
	}
	return fmt.Sprintf("%s in %s failed within %s: %s", op, region, timeout, msg)
}

// getURL GETs a URL with a timeout and returns the status code; the body is drained and dropped. A
// redirect to another host is not followed (its 3xx is the answer), and an error says only what kind of
// failure it was: whatever the far end sent, a banner or a binary frame, must not reach history, the gate
// summary or a page.
func (a *Activities) getURL(ctx context.Context, raw string, timeout time.Duration) (int, error) {
	if err := a.fetchAllowed(raw); err != nil {
		return 0, err
	}
	c, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(c, http.MethodGet, raw, nil)
	if err != nil {
		return 0, fmt.Errorf("GET %s: not a valid URL", raw)
	}
	hc := http.DefaultClient
	if a.HTTP != nil {
		hc = a.HTTP
	}
	guarded := *hc
	guarded.CheckRedirect = func(next *http.Request, via []*http.Request) error {
		if len(via) >= 5 || !strings.EqualFold(next.URL.Host, via[0].URL.Host) {
			return http.ErrUseLastResponse
		}
		return nil
	}
	resp, err := guarded.Do(req)
	if err != nil {
		return 0, fmt.Errorf("GET %s: %s", raw, fetchFailure(c, err))
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<16))
	return resp.StatusCode, nil
}

// fetchAllowed backs the workflow's policy check at the point of the fetch: with a policy loaded, only a
// host that some stage's healthHosts lists is fetched.
func (a *Activities) fetchAllowed(raw string) error {
	if a.Policy == nil {
		return nil
	}
	var last error
	for _, stages := range a.Policy.Platforms {
		for _, p := range stages {
			if last = p.HostAllowed(raw); last == nil {
				return nil
			}
		}
	}
	return refuse("HostNotAllowed", "GET %s refused before any fetch: %v", raw, last)
}

// clusterEndpointAllowed backs the policy check at the point of the call: with a policy loaded, a named ARC
// endpoint must be on some stage's clusterEndpointHosts before any signed request goes there.
func (a *Activities) clusterEndpointAllowed(raw string) error {
	if a.Policy == nil || raw == "" {
		return nil
	}
	var last error
	for _, stages := range a.Policy.Platforms {
		for _, p := range stages {
			if last = p.ClusterEndpointAllowed(raw); last == nil {
				return nil
			}
		}
	}
	return refuse("HostNotAllowed", "ARC endpoint %s refused before any request: %v", raw, last)
}

// fetchFailure names the kind of a failed GET without quoting the peer.
func fetchFailure(ctx context.Context, err error) string {
	var ne net.Error
	var oe *net.OpError
	var dnsErr *net.DNSError
	switch {
	case ctx.Err() != nil || (errors.As(err, &ne) && ne.Timeout()):
		return "no answer before the timeout"
	case errors.As(err, &dnsErr):
		return "the host name does not resolve"
	case errors.Is(err, syscall.ECONNREFUSED):
		return "connection refused"
	case errors.Is(err, syscall.ECONNRESET) || errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF):
		return "the connection was closed without an HTTP answer"
	case errors.As(err, &oe):
		return "network error (" + oe.Op + ")"
	case strings.Contains(err.Error(), "tls:") || strings.Contains(err.Error(), "x509:"):
		return "TLS handshake failed"
	}
	return "the answer was not HTTP"
}
