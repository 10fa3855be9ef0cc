package awssim

import (
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"
)

// Fault kinds.
const (
	FaultRegionOutage     = "region-outage"     // region; mode refuse (default: connection closed) or hang
	FaultThrottle         = "throttle"          // service ("*" for all), rate 0..1
	FaultError            = "error"             // service, operation, code [, status, count]
	FaultLatency          = "latency"           // service ("*"), latencyMs
	FaultReplicationLag   = "replication-lag"   // seconds: Aurora global lag and DynamoDB replication latency
	FaultDegradedFunction = "degraded-function" // function [, region]: Errors and Throttles high until capacity is raised
	FaultThrottledTable   = "throttled-table"   // table [, region]: ThrottledRequests high until capacity is raised
	FaultCorruptedTable   = "corrupted-table"   // table [, at]: items rewritten at that time in every replica
	FaultStaleBackups     = "stale-backups"     // no recovery point newer than the backup window shows
	FaultCheckerIsolation = "checker-isolation" // checkers (regions or IPs) [, region | resource]: those health checkers cannot reach the endpoint
)

var faultKinds = []string{FaultRegionOutage, FaultThrottle, FaultError, FaultLatency, FaultReplicationLag,
	FaultDegradedFunction, FaultThrottledTable, FaultCorruptedTable, FaultStaleBackups, FaultCheckerIsolation}

type Fault struct {
	ID        string    `json:"id"`
	Kind      string    `json:"kind"`
	Region    string    `json:"region,omitempty"`
	Service   string    `json:"service,omitempty"`
	Operation string    `json:"operation,omitempty"`
	Code      string    `json:"code,omitempty"`
	Status    int       `json:"status,omitempty"`
	Message   string    `json:"message,omitempty"`
	Rate      float64   `json:"rate,omitempty"`
	Seconds   float64   `json:"seconds,omitempty"`
	LatencyMS int       `json:"latencyMs,omitempty"`
	Mode      string    `json:"mode,omitempty"`
	Function  string    `json:"function,omitempty"`
	Table     string    `json:"table,omitempty"`
	At        time.Time `json:"at,omitzero"`
	// Resource and State are a failure-state fault's resource and the state it goes to.
	Resource string `json:"resource,omitempty"`
	State    string `json:"state,omitempty"`
	// Checkers are a checker-isolation fault's health checkers: checker regions (all of a region's
	// checkers) or single checkers' IP addresses, as GetHealthCheckStatus names them.
	Checkers []string `json:"checkers,omitempty"`
	// Count limits an error fault to its first Count matching calls; 0 means until removed.
	Count int `json:"count,omitempty"`
	Fired int `json:"fired"`
}

// serviceAliases lets fault bodies name services the way people do, not only by signing name.
var serviceAliases = map[string]string{"cloudwatch": "monitoring", "apigw": "apigateway", "dynamo": "dynamodb"}

func canonicalService(s string) string {
	s = strings.ToLower(s)
	if a, ok := serviceAliases[s]; ok {
		return a
	}
	return s
}

// faultAppliers run once when a fault is added (for faults that change the world, like corruption).
var faultAppliers = map[string]func(s *Server, f *Fault) error{}

// AddFault validates and installs a fault and returns its id. A fault that could never fire, or would do
// something other than what it says, is refused: a test relying on it would pass falsely.
func (s *Server) AddFault(f Fault) (string, error) {
	if !slices.Contains(faultKinds, f.Kind) {
		return "", fmt.Errorf("kind: unknown fault kind %q; use one of %s", clip(f.Kind), strings.Join(faultKinds, ", "))
	}
	f.Service = canonicalService(f.Service)
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.now()
	if err := s.validFault(&f, now); err != nil {
		return "", err
	}
	if f.At.IsZero() {
		f.At = now
	}
	if (f.Kind == FaultDegradedFunction || f.Kind == FaultThrottledTable) && f.Region == "" {
		f.Region = s.topo.PrimaryRegion
	}
	if apply := faultAppliers[f.Kind]; apply != nil {
		if err := apply(s, &f); err != nil {
			return "", err
		}
	}
	s.nextFault++
	f.ID = fmt.Sprintf("fault-%d", s.nextFault)
	s.faults = append(s.faults, &f)
	return f.ID, nil
}

// RemoveFault removes one fault, or all when id is empty. A corruption stays in the data: only a restore
// undoes it, as in AWS.
func (s *Server) RemoveFault(id string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if id == "" {
		s.faults = nil
		return true
	}
	for i, f := range s.faults {
		if f.ID == id {
			s.faults = append(s.faults[:i], s.faults[i+1:]...)
			return true
		}
	}
	return false
}

// Faults returns a copy of the active faults.
func (s *Server) Faults() []Fault {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]Fault, len(s.faults))
	for i, f := range s.faults {
		out[i] = *f
	}
	return out
}

// faultsOf returns the active faults of a kind; call with the lock held.
func (s *Server) faultsOf(kind string) []*Fault {
	var out []*Fault
	for _, f := range s.faults {
		if f.Kind == kind {
			out = append(out, f)
		}
	}
	return out
}

// regionOut reports whether a region outage is active; call with the lock held.
func (s *Server) regionOut(region string) bool { return s.outageOf(region) != nil }

// outageOf is the active outage of a region, or nil; call with the lock held.
func (s *Server) outageOf(region string) *Fault {
	var out *Fault
	for _, f := range s.faultsOf(FaultRegionOutage) {
		if f.Region == region {
			out = f
		}
	}
	return out
}

// replicationLag is the configured cross-region lag (0 when healthy); call with the lock held.
func (s *Server) replicationLag() time.Duration {
	var lag time.Duration
	for _, f := range s.faultsOf(FaultReplicationLag) {
		if d := time.Duration(f.Seconds * float64(time.Second)); d > lag {
			lag = d
		}
	}
	return lag
}

func matchService(pattern, name string) bool { return pattern == "*" || pattern == name }

// hostOf is the region whose outage takes the call down; call with the lock held.
func (s *Server) hostOf(svc *service, c *Call) string {
	if svc.hostedIn != nil {
		return svc.hostedIn(s, c)
	}
	return c.Region
}

// applyFaults runs the request-level faults; it returns true when it has answered the request.
func (s *Server) applyFaults(w http.ResponseWriter, r *http.Request, svc *service, c *Call) bool {
	s.mu.Lock()
	host := s.hostOf(svc, c)
	outage := s.outageOf(host)
	var delay time.Duration
	for _, f := range s.faultsOf(FaultLatency) {
		if matchService(f.Service, svc.name) && (f.Region == "" || f.Region == c.Region) {
			delay += time.Duration(f.LatencyMS) * time.Millisecond
		}
	}
	var apiErr *APIError
	for _, f := range s.faultsOf(FaultError) {
		if matchService(f.Service, svc.name) && (f.Operation == "" || f.Operation == "*" || f.Operation == c.Operation) && (f.Region == "" || f.Region == c.Region) &&
			(f.Count == 0 || f.Fired < f.Count) {
			f.Fired++
			msg := f.Message
			if msg == "" {
				msg = fmt.Sprintf("awssim injected %s on %s %s in %s", f.Code, svc.name, c.Operation, c.Region)
			}
			apiErr = &APIError{Status: f.Status, Code: f.Code, Message: msg}
			break
		}
	}
	if apiErr == nil {
		for _, f := range s.faultsOf(FaultThrottle) {
			if matchService(f.Service, svc.name) && (f.Region == "" || f.Region == c.Region) && s.rng.Float64() < f.Rate {
				f.Fired++
				apiErr = &APIError{Status: svc.throttleStatus, Code: svc.throttleCode, Message: "Rate exceeded"}
				break
			}
		}
	}
	switch {
	case outage != nil:
		s.logRequest(c, host, false, "")
	case apiErr != nil:
		s.logRequest(c, host, true, apiErr.Code)
	}
	s.mu.Unlock()
	if outage != nil {
		if outage.Mode == "hang" {
			select {
			case <-r.Context().Done():
			case <-time.After(5 * time.Minute):
			}
		}
		// Close the connection without an answer: the SDK sees a network error, as with a dead region.
		if hj, ok := w.(http.Hijacker); ok {
			if conn, _, err := hj.Hijack(); err == nil {
				_ = conn.Close()
				return true
			}
		}
		w.WriteHeader(http.StatusServiceUnavailable)
		return true
	}
	if delay > 0 {
		select {
		case <-r.Context().Done():
			return true
		case <-time.After(delay):
		}
	}
	if apiErr != nil {
		svc.protocol.writeError(w, svc, c, apiErr)
		return true
	}
	return false
}

func statusForCode(code string) int {
	switch code {
	case "AccessDenied", "AccessDeniedException", "UnauthorizedOperation", "InvalidClientTokenId":
		return 403
	case "ServiceUnavailable", "ServiceUnavailableException", "SlowDown", "RequestLimitExceeded", "EndpointTemporarilyUnavailableException":
		return 503
	case "InternalFailure", "InternalError", "InternalServerError", "InternalServerErrorException":
		return 500
	case "TooManyRequestsException":
		return 429
	case "ConflictException":
		return 409
	case "ResourceNotFoundException", "NotFoundException", "NoSuchBucket", "NoSuchHealthCheck", "NoSuchHostedZone":
		return 404
	}
	return 400
}
