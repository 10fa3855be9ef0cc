package awssim

import (
	"strconv"
	"time"
)

// RequestEntry is one AWS API request as awssim received it, reads included. The journal keeps only what
// changed AWS; a dependency table (starter plan) must also be checked against every read the failover
// sends, and against where each one went while a region was out.
type RequestEntry struct {
	Seq       int64     `json:"seq"`
	Time      time.Time `json:"time"`
	Service   string    `json:"service"`
	Region    string    `json:"region"`
	Operation string    `json:"operation"`
	// HostedIn is the region whose outage takes the call down: the signing region, or where the service's
	// control plane is hosted (Route 53's: us-east-1, or us-west-2 once accelerated recovery has moved it).
	HostedIn string `json:"hostedIn"`
	// Plane is "control" or "data": which of the service's planes the operation belongs to.
	Plane string `json:"plane"`
	// Reachable is false when an outage of HostedIn took the call: the connection closed or hung unanswered.
	Reachable bool `json:"reachable"`
	// Error is the error code the client got; empty on success.
	Error string `json:"error,omitempty"`
	// Action and Resources are what IAM authorizes the call on (enforce.go): a test can replay the log
	// against a policy without the statement it removes.
	Action    string   `json:"action,omitempty"`
	Resources []string `json:"resources,omitempty"`
}

// maxRequests bounds the request log, which every poll of a long-running awssim (a demo, the compose
// stack) would otherwise grow without end; Seq keeps counting, so a reader sees what was dropped.
const maxRequests = 20000

// logRequest appends to the request log; call it with the lock held, once per request.
func (s *Server) logRequest(c *Call, host string, reachable bool, code string) {
	s.requests = append(s.requests, RequestEntry{Seq: c.seq, Time: s.now(), Service: c.Service, Region: c.Region, Operation: c.Operation,
		HostedIn: host, Plane: planeOf(c.Service, c.Operation), Reachable: reachable, Error: code})
	if c.Operation != "" {
		e := &s.requests[len(s.requests)-1]
		e.Action, e.Resources = actionOf(c), s.resourcesOf(c)
	}
	if len(s.requests) > 2*maxRequests {
		s.requests = append(s.requests[:0:0], s.requests[len(s.requests)-maxRequests:]...)
	}
}

// Requests returns the logged requests whose Seq is greater than since, oldest first.
func (s *Server) Requests(since int64) []RequestEntry {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := []RequestEntry{}
	for _, e := range s.requests {
		if e.Seq > since {
			out = append(out, e)
		}
	}
	return out
}

// sinceParam is the ?since= of GET /_sim/requests: 0 when absent.
func sinceParam(v string) (int64, error) {
	if v == "" {
		return 0, nil
	}
	return strconv.ParseInt(v, 10, 64)
}

// dataPlane lists each service's data-plane operations, as AWS splits them (the AWS Fault Isolation
// Boundaries whitepaper, "Control planes and data planes"): the service's primary function, simple and
// built to stay up, against the create/configure/describe operations of its control plane. ARC's routing
// control cluster and STS are data plane throughout; every Route 53 API operation is control plane (its
// data plane is DNS resolution and the health checkers).
var dataPlane = map[string]map[string]bool{
	"dynamodb": opSet("GetItem", "PutItem", "UpdateItem", "DeleteItem", "Query", "Scan", "BatchGetItem", "BatchWriteItem",
		"TransactGetItems", "TransactWriteItems", "ExecuteStatement", "BatchExecuteStatement", "ExecuteTransaction"),
	"lambda":     opSet("Invoke"),
	"monitoring": opSet("PutMetricData", "GetMetricData", "GetMetricStatistics"),
	"s3":         opSet("GetObject", "PutObject", "HeadObject", "DeleteObject", "ListObjectsV2", "ListObjects"),
	"sns":        opSet("Publish", "PublishBatch"),
}

// dataPlaneServices are data plane in every operation.
var dataPlaneServices = opSet("route53-recovery-cluster", "sts")

func planeOf(service, op string) string {
	if dataPlaneServices[service] || dataPlane[service][op] {
		return "data"
	}
	return "control"
}

func opSet(names ...string) map[string]bool {
	m := make(map[string]bool, len(names))
	for _, n := range names {
		m[n] = true
	}
	return m
}
