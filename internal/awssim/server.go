// Package awssim is a two-region AWS control-plane simulator. It speaks each service's wire protocol as the
// real SDK clients and the AWS CLI send it, keeps a world model seeded from a topology, models the time AWS
// operations take (scaled), injects faults, and journals every mutating call so tests can prove
// exactly-once effects. Region and service come from the SigV4 credential scope; signatures are not checked,
// except STS's for the identities it is given (sts_identity.go).
package awssim

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"math/rand"
	"net/http"
	"regexp"
	"strings"
	"sync"
	"time"

	"github.com/roadcall/dr/internal/iam"
	"github.com/roadcall/dr/internal/topology"
)

// Durations are the times AWS takes for long operations, before the time scale applies.
type Durations struct {
	AuroraFailover   time.Duration `json:"auroraFailover"`
	AuroraSwitchover time.Duration `json:"auroraSwitchover"`
	AuroraDetach     time.Duration `json:"auroraDetach"`
	AuroraPromote    time.Duration `json:"auroraPromote"`
	ClusterRestore   time.Duration `json:"clusterRestore"`
	InstanceCreate   time.Duration `json:"instanceCreate"`
	ClusterSnapshot  time.Duration `json:"clusterSnapshot"`
	DNSPropagation   time.Duration `json:"dnsPropagation"`
	// Route53ControlPlaneFailover is how long into a us-east-1 outage Route 53 accelerated recovery moves an
	// enabled zone's control plane to us-west-2.
	Route53ControlPlaneFailover time.Duration `json:"route53ControlPlaneFailover"`
	StackUpdate                 time.Duration `json:"stackUpdate"`
	TableRestore                time.Duration `json:"tableRestore"`
	TableUpdate                 time.Duration `json:"tableUpdate"`
	FunctionUpdate              time.Duration `json:"functionUpdate"`
	// VersionPublish is how long a published version stays Pending before it is Active.
	VersionPublish time.Duration `json:"versionPublish"`
	// TableVisible is how long after a restore DescribeTable still answers ResourceNotFoundException:
	// DescribeTable is an eventually consistent query, and its API reference says to wait "a few seconds"
	// after a create, which is why the SDK's TableExists waiter retries that error.
	TableVisible time.Duration `json:"tableVisible"`
}

// DefaultDurations are the figures AWS publishes or that operators observe.
func DefaultDurations() Durations {
	return Durations{
		AuroraFailover:   90 * time.Second,
		AuroraSwitchover: 2 * time.Minute,
		AuroraDetach:     time.Minute,
		AuroraPromote:    5 * time.Minute,
		ClusterRestore:   15 * time.Minute,
		InstanceCreate:   10 * time.Minute,
		ClusterSnapshot:  5 * time.Minute,
		DNSPropagation:   60 * time.Second,
		// "within approximately 60 minutes": Route 53 Developer Guide, accelerated recovery.
		Route53ControlPlaneFailover: 60 * time.Minute,
		StackUpdate:                 20 * time.Minute,
		TableRestore:                20 * time.Minute,
		TableUpdate:                 30 * time.Second,
		FunctionUpdate:              3 * time.Second,
		VersionPublish:              2 * time.Second,
		TableVisible:                5 * time.Second,
	}
}

type Options struct {
	// TimeScale multiplies every modeled duration: 1 is real time, 0.001 turns 20 minutes into 1.2 s, 0 makes
	// every operation finish on the next read.
	TimeScale float64
	Durations *Durations
	Logger    *slog.Logger
	// Now replaces the wall clock, for tests.
	Now  func() time.Time
	Seed int64
	// Identities are the IAM principals whose keys STS checks (--identities); none keeps STS answering
	// every caller as the operator role without checking signatures.
	Identities []Identity
	// EnforcePolicy, when set, is the only IAM policy callers have (--enforce-policy): a call it does not
	// allow gets the service's AccessDenied. Nil allows everything, as awssim always did.
	EnforcePolicy *iam.Document
}

type Server struct {
	mu        sync.Mutex
	topo      topology.Topology
	opts      Options
	durations Durations
	scale     float64
	now       func() time.Time
	log       *slog.Logger
	rng       *rand.Rand

	world     *World
	faults    []*Fault
	nextFault int
	journal   []JournalEntry
	requests  []RequestEntry
	reqSeq    int64
	// identities by access key ID; read-only after New.
	identities map[string]Identity
}

// New seeds a world from the topology.
func New(t topology.Topology, opts Options) *Server {
	s := &Server{topo: t, opts: opts, scale: opts.TimeScale, now: opts.Now, log: opts.Logger}
	if s.now == nil {
		s.now = time.Now
	}
	if s.log == nil {
		s.log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	s.durations = DefaultDurations()
	if opts.Durations != nil {
		s.durations = *opts.Durations
	}
	seed := opts.Seed
	if seed == 0 {
		seed = 1
	}
	s.rng = rand.New(rand.NewSource(seed))
	s.world = NewWorld(t, s.now())
	s.identities = map[string]Identity{}
	for _, id := range opts.Identities {
		s.identities[id.AccessKeyID] = id
	}
	return s
}

// Topology is the topology the world was seeded from.
func (s *Server) Topology() topology.Topology { return s.topo }

// Call is one decoded AWS request.
type Call struct {
	Service   string
	Region    string
	Operation string
	Req       *http.Request
	Body      []byte
	// Input is the decoded body for JSON and CBOR protocols; Form for query protocols; Path for REST.
	Input M
	Form  Form
	Path  map[string]string
	Now   time.Time
	ReqID string
	// seq numbers the request in the request log.
	seq int64
}

// opFunc runs with the server's lock held and returns the protocol-neutral output (see protocol.go).
type opFunc func(s *Server, c *Call) (any, error)

type service struct {
	// name is the SigV4 signing name.
	name     string
	protocol protocol
	// target is the X-Amz-Target prefix for JSON protocols and the CBOR service name.
	target string
	// xmlns is the namespace of query and REST-XML responses.
	xmlns  string
	ops    map[string]opFunc
	routes []route
	// anyRegion services answer whatever region signs the call, not only the topology's two: STS, EC2,
	// Route 53 (signed for us-east-1) and ARC's cluster, whose five endpoints lie mostly outside them.
	anyRegion bool
	// hostedIn names the region whose outage takes a call down; nil means the signing region. Route 53 signs
	// for us-east-1 and is hosted there, except what accelerated recovery moves to us-west-2.
	hostedIn       func(s *Server, c *Call) string
	throttleCode   string
	throttleStatus int
	// advance moves time-driven state on; called with the lock held before every call to any service.
	advance func(s *Server, now time.Time)
}

var services = map[string]*service{}

func register(svc *service) {
	if svc.throttleCode == "" {
		svc.throttleCode = "Throttling"
	}
	if svc.throttleStatus == 0 {
		svc.throttleStatus = 400
	}
	services[svc.name] = svc
}

var scopeRE = regexp.MustCompile(`Credential=[^/,]+/\d{8}/([a-z0-9-]+)/([a-z0-9-]+)/aws4_request`)

// scope reads region and signing name from the SigV4 Authorization header (or a presigned URL).
func scope(r *http.Request) (region, svc string, ok bool) {
	m := scopeRE.FindStringSubmatch(r.Header.Get("Authorization"))
	if m == nil {
		if c := r.URL.Query().Get("X-Amz-Credential"); c != "" {
			m = scopeRE.FindStringSubmatch("Credential=" + c)
		}
	}
	if m == nil {
		return "", "", false
	}
	return m[1], m[2], true
}

func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if strings.HasPrefix(r.URL.Path, "/_sim/") {
		s.control(w, r)
		return
	}
	region, name, ok := scope(r)
	if !ok {
		writePlainError(w, http.StatusForbidden, "MissingAuthenticationToken", "awssim: request is not SigV4-signed; region and service come from the credential scope")
		return
	}
	svc := services[name]
	body, err := io.ReadAll(r.Body)
	if err != nil {
		writePlainError(w, http.StatusBadRequest, "InvalidRequest", err.Error())
		return
	}
	if svc == nil {
		writePlainError(w, http.StatusBadRequest, "UnknownService", fmt.Sprintf("awssim does not model the %q service", name))
		return
	}
	c := &Call{Service: name, Region: region, Req: r, Body: body}
	s.mu.Lock()
	s.reqSeq++
	c.seq = s.reqSeq
	c.ReqID = fmt.Sprintf("awssim-%08d-%s", s.reqSeq, region)
	s.mu.Unlock()
	if err := svc.protocol.decode(svc, c); err != nil {
		s.mu.Lock()
		s.logRequest(c, region, true, asAPIError(err).Code)
		s.mu.Unlock()
		svc.protocol.writeError(w, svc, c, err)
		return
	}
	if s.applyFaults(w, r, svc, c) {
		return
	}
	s.mu.Lock()
	c.Now = s.now()
	if _, known := s.world.Regions[region]; !known && !svc.anyRegion {
		err := Errf(400, "UnrecognizedClientException", "awssim: region %s is not part of this topology (%s, %s)", region, s.topo.PrimaryRegion, s.topo.DRRegion)
		s.logRequest(c, region, true, err.Code)
		s.mu.Unlock()
		svc.protocol.writeError(w, svc, c, err)
		return
	}
	s.advanceAll(c.Now)
	op := svc.ops[c.Operation]
	var out any
	if denied := s.enforce(svc, c); denied != nil {
		err = denied
	} else if op == nil {
		err = unknownOperation(svc, c)
	} else {
		out, err = s.safeCall(op, c)
	}
	code := ""
	if err != nil {
		code = asAPIError(err).Code
	}
	s.logRequest(c, s.hostOf(svc, c), true, code)
	s.mu.Unlock()
	if err != nil {
		s.log.Debug("aws error", "service", name, "region", region, "op", c.Operation, "err", err)
		svc.protocol.writeError(w, svc, c, err)
		return
	}
	svc.protocol.writeOutput(w, svc, c, out)
}

// safeCall turns a handler panic into an InternalFailure so a modeling bug never kills the simulator.
func (s *Server) safeCall(op opFunc, c *Call) (out any, err error) {
	defer func() {
		if p := recover(); p != nil {
			s.log.Error("handler panic", "service", c.Service, "op", c.Operation, "panic", p)
			err = Errf(500, "InternalFailure", "awssim: %s %s failed: %v", c.Service, c.Operation, p)
		}
	}()
	return op(s, c)
}

// APIError is an AWS error; each protocol writes it in its own shape.
type APIError struct {
	Status  int
	Code    string
	Message string
	// QueryCode is the awsQueryError code of an awsQueryCompatible service (CloudWatch): query responses use it
	// as the code, JSON and CBOR responses send it in X-Amzn-Query-Error, which the SDKs report as ErrorCode().
	QueryCode string
}

func (e *APIError) Error() string { return e.Code + ": " + e.Message }

// Errf builds an APIError.
func Errf(status int, code, format string, args ...any) *APIError {
	return &APIError{Status: status, Code: code, Message: fmt.Sprintf(format, args...)}
}

func writePlainError(w http.ResponseWriter, status int, code, msg string) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("X-Amzn-ErrorType", code)
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(map[string]string{"__type": code, "message": msg})
}

// ListenAndServe serves until ctx is done.
func (s *Server) ListenAndServe(ctx context.Context, addr string) error {
	srv := &http.Server{Addr: addr, Handler: s, ReadHeaderTimeout: 10 * time.Second}
	go func() {
		<-ctx.Done()
		shut, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = srv.Shutdown(shut)
	}()
	err := srv.ListenAndServe()
	if err == http.ErrServerClosed {
		return nil
	}
	return err
}
