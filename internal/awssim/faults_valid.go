package awssim

import (
	"fmt"
	"math"
	"slices"
	"strings"
	"time"
)

// Bounds on a fault's numbers. Beyond them a fault is a typo or an attack on the simulator, never a drill:
// a latency past the SDK's own timeouts only hangs the caller, and a lag of 1e308 s overflows a Duration.
const (
	maxLatencyMS       = 5 * 60 * 1000
	maxLagSeconds      = 24 * 60 * 60
	maxFaultCount      = 1_000_000
	maxFaultAtDistance = 366 * 24 * time.Hour
	maxFaultText       = 256
)

// faultFields are the fields each kind reads, by their JSON names; any other field set is refused, since the
// fault would silently not do what the body asks. region and at apply to every kind but replication-lag.
var faultFields = map[string][]string{
	FaultRegionOutage:     {"region", "mode", "at"},
	FaultThrottle:         {"service", "rate", "region", "at"},
	FaultError:            {"service", "operation", "code", "status", "message", "count", "region", "at"},
	FaultLatency:          {"service", "latencyMs", "region", "at"},
	FaultReplicationLag:   {"seconds", "at"},
	FaultDegradedFunction: {"function", "region", "at"},
	FaultThrottledTable:   {"table", "region", "at"},
	FaultCorruptedTable:   {"table", "at"},
	FaultStaleBackups:     {"region", "at"},
	FaultCheckerIsolation: {"checkers", "region", "resource", "at"},
	FaultFailureState:     {"service", "resource", "state", "region", "at"},
}

// setFields names the fields of f a client set, by their JSON names.
func setFields(f *Fault) []string {
	var out []string
	add := func(name string, set bool) {
		if set {
			out = append(out, name)
		}
	}
	add("id", f.ID != "")
	add("region", f.Region != "")
	add("service", f.Service != "")
	add("operation", f.Operation != "")
	add("code", f.Code != "")
	add("status", f.Status != 0)
	add("message", f.Message != "")
	add("rate", f.Rate != 0)
	add("seconds", f.Seconds != 0)
	add("latencyMs", f.LatencyMS != 0)
	add("mode", f.Mode != "")
	add("function", f.Function != "")
	add("table", f.Table != "")
	add("at", !f.At.IsZero())
	add("resource", f.Resource != "")
	add("state", f.State != "")
	add("checkers", len(f.Checkers) > 0)
	add("count", f.Count != 0)
	add("fired", f.Fired != 0)
	return out
}

// clip quotes at most a short prefix of a client's value in a refusal.
func clip(v string) string {
	if len(v) > 64 {
		return v[:64] + "…"
	}
	return v
}

// validFault checks f against its kind and the world, filling defaults; call with the lock held.
func (s *Server) validFault(f *Fault, now time.Time) error {
	allowed := faultFields[f.Kind]
	for _, name := range setFields(f) {
		if !slices.Contains(allowed, name) {
			return fmt.Errorf("%s: a %s fault does not use it (it takes %s)", name, f.Kind, strings.Join(allowed, ", "))
		}
	}
	for name, v := range map[string]string{"code": f.Code, "message": f.Message, "operation": f.Operation, "resource": f.Resource,
		"function": f.Function, "table": f.Table, "state": f.State, "service": f.Service, "region": f.Region, "mode": f.Mode} {
		if len(v) > maxFaultText {
			return fmt.Errorf("%s: %d characters; at most %d", name, len(v), maxFaultText)
		}
	}
	for _, name := range []struct {
		field string
		v     float64
	}{{"rate", f.Rate}, {"seconds", f.Seconds}} {
		if math.IsNaN(name.v) || math.IsInf(name.v, 0) {
			return fmt.Errorf("%s: must be a finite number", name.field)
		}
	}
	if !f.At.IsZero() && (f.At.Before(now.Add(-maxFaultAtDistance)) || f.At.After(now.Add(maxFaultAtDistance))) {
		return fmt.Errorf("at: %s is more than a year from the simulator's now (%s)", f.At.Format(time.RFC3339), now.Format(time.RFC3339))
	}
	if f.Region != "" && f.Kind != FaultRegionOutage && !s.knownRegion(f) {
		return fmt.Errorf("region: %q is not a region of this world (%s, %s)", clip(f.Region), s.topo.PrimaryRegion, s.topo.DRRegion)
	}
	switch f.Kind {
	case FaultRegionOutage:
		if _, ok := s.world.Regions[f.Region]; !ok && !arcEndpointRegion(s.topo, f.Region) {
			return fmt.Errorf("region: %q is not a region of this world (%s, %s) nor of an ARC cluster endpoint", clip(f.Region), s.topo.PrimaryRegion, s.topo.DRRegion)
		}
		if f.Mode == "" {
			f.Mode = "refuse"
		}
		if f.Mode != "refuse" && f.Mode != "hang" {
			return fmt.Errorf("mode: %q is not refuse or hang", clip(f.Mode))
		}
	case FaultThrottle:
		if !(f.Rate > 0 && f.Rate <= 1) {
			return fmt.Errorf("rate: %v must be in (0, 1]", f.Rate)
		}
		if f.Service == "" {
			f.Service = "*"
		}
		return validServiceOp(f.Service, "")
	case FaultError:
		if f.Service == "" {
			return fmt.Errorf("service: an error fault names a service, or \"*\" for any")
		}
		if f.Code == "" {
			return fmt.Errorf("code: an error fault names the AWS error code to answer, such as InternalFailure or ThrottlingException")
		}
		if err := validServiceOp(f.Service, f.Operation); err != nil {
			return err
		}
		if f.Status == 0 {
			f.Status = statusForCode(f.Code)
		}
		if f.Status < 400 || f.Status > 599 {
			return fmt.Errorf("status: %d is not an error status; use 400–599", f.Status)
		}
		if f.Count < 0 || f.Count > maxFaultCount {
			return fmt.Errorf("count: %d must be in 0..%d (0: until removed)", f.Count, maxFaultCount)
		}
	case FaultLatency:
		if f.LatencyMS <= 0 || f.LatencyMS > maxLatencyMS {
			return fmt.Errorf("latencyMs: %d must be in 1..%d", f.LatencyMS, maxLatencyMS)
		}
		if f.Service == "" {
			f.Service = "*"
		}
		return validServiceOp(f.Service, "")
	case FaultReplicationLag:
		if !(f.Seconds >= 0 && f.Seconds <= maxLagSeconds) {
			return fmt.Errorf("seconds: %v must be in 0..%d", f.Seconds, maxLagSeconds)
		}
	case FaultDegradedFunction:
		if !s.topo.HasFunction(f.Function) {
			return fmt.Errorf("function: %q is not a function of the topology", clip(f.Function))
		}
	case FaultFailureState:
		return s.validFailureState(f)
	case FaultCheckerIsolation:
		return s.validCheckerIsolation(f)
	case FaultThrottledTable, FaultCorruptedTable:
		if !s.topo.HasTable(f.Table) {
			return fmt.Errorf("table: %q is not a table of the topology", clip(f.Table))
		}
	}
	return nil
}

// knownRegion: a region of the world, or one a service answering any region (STS, EC2, Route 53, ARC's
// cluster endpoints) can be signed for; call with the lock held.
func (s *Server) knownRegion(f *Fault) bool {
	if _, ok := s.world.Regions[f.Region]; ok {
		return true
	}
	if svc := services[f.Service]; svc != nil && svc.anyRegion {
		return true
	}
	return f.Service == "*" && arcEndpointRegion(s.topo, f.Region)
}

// validServiceOp: "*" or a service awssim models, and "", "*" or one of its operations.
func validServiceOp(service, op string) error {
	if service != "*" && services[service] == nil {
		return fmt.Errorf("service: awssim does not model %q; use \"*\" or one of %s (aliases: %s)", clip(service),
			strings.Join(SortedKeys(services), ", "), strings.Join(SortedKeys(serviceAliases), ", "))
	}
	if op == "" || op == "*" {
		return nil
	}
	if service == "*" {
		for _, svc := range services {
			if svc.ops[op] != nil {
				return nil
			}
		}
		return fmt.Errorf("operation: no service awssim models has %q", clip(op))
	}
	if services[service].ops[op] == nil {
		return fmt.Errorf("operation: %s has no operation %q in awssim; use \"*\" or one of %s", service, clip(op), strings.Join(SortedKeys(services[service].ops), ", "))
	}
	return nil
}
