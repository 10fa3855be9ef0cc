package awssim

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"errors"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
)

// A protocol decodes a request into a Call and writes outputs and errors in the shape the SDKs expect. Each
// lives in its own file (protocol_json.go, protocol_cbor.go, protocol_query.go, protocol_restjson.go,
// protocol_restxml.go); what they share is here.
//
// Output conventions for handlers:
//   - json, cbor: any value encoding/json can marshal (maps are best for CBOR; time.Time becomes an epoch
//     timestamp in both).
//   - query: a struct whose XMLName is "<Operation>Result", or nil; the codec adds the Response envelope.
//   - ec2: a struct whose XMLName is "<Operation>Response"; the codec adds nothing.
//   - rest-json: any JSON value (status 200) or *RestResponse.
//   - rest-xml: an XML struct (status 200) or *RestResponse.
type protocol interface {
	name() string
	// matches reports whether the request uses this protocol, for services that accept several.
	matches(r *http.Request) bool
	decode(svc *service, c *Call) error
	writeOutput(w http.ResponseWriter, svc *service, c *Call, out any)
	writeError(w http.ResponseWriter, svc *service, c *Call, err error)
}

// RestResponse lets a REST handler choose the status, headers and body.
type RestResponse struct {
	Status  int
	Headers map[string]string
	Body    any
}

func asAPIError(err error) *APIError {
	var ae *APIError
	if errors.As(err, &ae) {
		return ae
	}
	return Errf(400, "ValidationException", "%v", err)
}

// encodingFailed is the error a codec answers when a handler's output does not encode.
func encodingFailed(err error) error {
	return Errf(500, "InternalFailure", "awssim: encoding output: %v", err)
}

func unknownOperation(svc *service, c *Call) error {
	switch svc.protocol.(type) {
	case restJSON, restXML:
		return Errf(404, "UnknownOperationException", "awssim: %s %s %s is not modeled", svc.name, c.Req.Method, c.Req.URL.Path)
	case queryProtocol, ec2Protocol:
		return Errf(400, "InvalidAction", "The action %s is not valid for this web service (awssim does not model it).", c.Operation)
	}
	return Errf(400, "UnknownOperationException", "awssim: %s operation %q is not modeled", svc.name, c.Operation)
}

// multi picks the first protocol that matches the request; the last is the default.
type multi []protocol

func (m multi) pick(r *http.Request) protocol {
	for _, p := range m {
		if p.matches(r) {
			return p
		}
	}
	return m[len(m)-1]
}
func (m multi) name() string                 { return "multi" }
func (m multi) matches(r *http.Request) bool { return true }
func (m multi) decode(svc *service, c *Call) error {
	return m.pick(c.Req).decode(svc, c)
}
func (m multi) writeOutput(w http.ResponseWriter, svc *service, c *Call, out any) {
	m.pick(c.Req).writeOutput(w, svc, c, out)
}
func (m multi) writeError(w http.ResponseWriter, svc *service, c *Call, err error) {
	m.pick(c.Req).writeError(w, svc, c, err)
}

// writeBody sends a response with the headers every protocol sets.
func writeBody(w http.ResponseWriter, c *Call, status int, contentType string, b []byte) {
	w.Header().Set("Content-Type", contentType)
	w.Header().Set("X-Amzn-RequestId", c.ReqID)
	w.Header().Set("Content-Length", strconv.Itoa(len(b)))
	w.WriteHeader(status)
	_, _ = w.Write(b)
}

// ---- JSON bodies (awsJson and rest-json requests; CBOR output of structs) ----

// decodeJSON is the package's one JSON decoder. Numbers stay json.Number so large integers keep their
// precision and M's accessors read them as either integers or floats.
func decodeJSON(b []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	return dec.Decode(v)
}

// decodeJSONBody fills c.Input from a JSON request body; an empty body is an empty object.
func decodeJSONBody(c *Call) error {
	c.Input = M{}
	if len(bytes.TrimSpace(c.Body)) == 0 {
		return nil
	}
	if err := decodeJSON(c.Body, &c.Input); err != nil {
		return Errf(400, "SerializationException", "awssim: request body is not JSON: %v", err)
	}
	return nil
}

// setQueryError sends an awsQueryCompatible service's legacy code, as AWS does, so the SDKs' ErrorCode()
// is the same whichever protocol the client speaks.
func setQueryError(w http.ResponseWriter, ae *APIError) {
	if ae.QueryCode == "" {
		return
	}
	w.Header().Set("X-Amzn-Query-Error", ae.QueryCode+";"+errorSide(ae))
}

// errorSide is the side an error blames in query and query-compatible responses.
func errorSide(ae *APIError) string {
	if ae.Status >= 500 {
		return "Receiver"
	}
	return "Sender"
}

// ---- XML bodies (awsQuery, ec2Query, rest-xml) ----

func sendXML(w http.ResponseWriter, c *Call, status int, b []byte) {
	writeBody(w, c, status, "text/xml", b)
}

func xmlEscape(s string) string {
	var b bytes.Buffer
	_ = xml.EscapeText(&b, []byte(s))
	return b.String()
}

// ---- REST routing (rest-json, rest-xml) ----

type route struct {
	method  string
	pattern *regexp.Regexp
	names   []string
	op      string
}

// rest declares a REST route; {Name} matches one path segment, {Name+} the rest of the path. Parameters are
// found before the literal parts are quoted, since quoting escapes the braces.
func rest(method, path, op string) route {
	var names []string
	var re strings.Builder
	last := 0
	for _, m := range restParam.FindAllStringSubmatchIndex(path, -1) {
		re.WriteString(regexp.QuoteMeta(path[last:m[0]]))
		names = append(names, path[m[2]:m[3]])
		if m[5] > m[4] {
			re.WriteString("(.+)")
		} else {
			re.WriteString("([^/]+)")
		}
		last = m[1]
	}
	re.WriteString(regexp.QuoteMeta(path[last:]))
	return route{method: method, pattern: regexp.MustCompile("^" + re.String() + "$"), names: names, op: op}
}

var restParam = regexp.MustCompile(`\{([A-Za-z0-9]+)(\+?)\}`)

// resolveRoute sets Operation and Path from the service's routes.
func resolveRoute(svc *service, c *Call) error {
	path := c.Req.URL.EscapedPath()
	for _, rt := range svc.routes {
		if rt.method != c.Req.Method {
			continue
		}
		m := rt.pattern.FindStringSubmatch(path)
		if m == nil {
			continue
		}
		c.Operation = rt.op
		c.Path = map[string]string{}
		for i, n := range rt.names {
			v, err := url.PathUnescape(m[i+1])
			if err != nil {
				v = m[i+1]
			}
			c.Path[n] = v
		}
		return nil
	}
	c.Operation = ""
	return nil
}

// restOutput splits a REST handler's output into its status and body, setting the headers it chose.
func restOutput(w http.ResponseWriter, out any) (int, any) {
	if rr, ok := out.(*RestResponse); ok {
		for k, v := range rr.Headers {
			w.Header().Set(k, v)
		}
		return rr.Status, rr.Body
	}
	return 200, out
}
