package awssim

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"errors"
	"fmt"
	"hash/crc32"
	"math"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/aws/smithy-go/encoding/cbor"
)

// A protocol decodes a request into a Call and writes outputs and errors in the shape the SDKs expect.
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

// ---- awsJson1_0 / awsJson1_1 ----

type awsJSON struct {
	// errorPrefix qualifies error codes in __type, e.g. "com.amazonaws.dynamodb.v20120810#".
	errorPrefix string
	crc32       bool
	// contentType is the response media type; empty means awsJson1_0's. awsJson1_1 services set theirs.
	contentType string
}

func (awsJSON) name() string { return "json" }
func (awsJSON) matches(r *http.Request) bool {
	return r.Header.Get("X-Amz-Target") != "" && !strings.Contains(r.Header.Get("Content-Type"), "cbor")
}

func (p awsJSON) decode(svc *service, c *Call) error {
	target := c.Req.Header.Get("X-Amz-Target")
	prefix, op, ok := strings.Cut(target, ".")
	if !ok || (svc.target != "" && prefix != svc.target) {
		return Errf(400, "UnknownOperationException", "awssim: X-Amz-Target %q is not %s.<Operation>", target, svc.target)
	}
	c.Operation = op
	c.Input = M{}
	if len(bytes.TrimSpace(c.Body)) > 0 {
		dec := json.NewDecoder(bytes.NewReader(c.Body))
		dec.UseNumber()
		if err := dec.Decode(&c.Input); err != nil {
			return Errf(400, "SerializationException", "awssim: request body is not JSON: %v", err)
		}
	}
	return nil
}

func (p awsJSON) writeOutput(w http.ResponseWriter, svc *service, c *Call, out any) {
	if out == nil {
		out = map[string]any{}
	}
	b, err := json.Marshal(jsonReady(out))
	if err != nil {
		p.writeError(w, svc, c, Errf(500, "InternalFailure", "awssim: encoding output: %v", err))
		return
	}
	p.send(w, c, 200, b)
}

func (p awsJSON) writeError(w http.ResponseWriter, svc *service, c *Call, err error) {
	ae := asAPIError(err)
	b, _ := json.Marshal(map[string]string{"__type": p.errorPrefix + ae.Code, "message": ae.Message})
	w.Header().Set("X-Amzn-ErrorType", ae.Code)
	setQueryError(w, ae)
	p.send(w, c, ae.Status, b)
}

func (p awsJSON) send(w http.ResponseWriter, c *Call, status int, b []byte) {
	ct := p.contentType
	if ct == "" {
		ct = "application/x-amz-json-1.0"
	}
	w.Header().Set("Content-Type", ct)
	w.Header().Set("X-Amzn-RequestId", c.ReqID)
	if p.crc32 {
		w.Header().Set("X-Amz-Crc32", strconv.FormatUint(uint64(crc32.ChecksumIEEE(b)), 10))
	}
	w.Header().Set("Content-Length", strconv.Itoa(len(b)))
	w.WriteHeader(status)
	_, _ = w.Write(b)
}

// jsonReady turns time.Time values anywhere in maps and slices into epoch seconds, as AWS JSON protocols
// send timestamps.
func jsonReady(v any) any {
	switch x := v.(type) {
	case time.Time:
		return epoch(x)
	case *time.Time:
		if x == nil {
			return nil
		}
		return epoch(*x)
	case map[string]any:
		out := make(map[string]any, len(x))
		for k, e := range x {
			out[k] = jsonReady(e)
		}
		return out
	case M:
		return jsonReady(map[string]any(x))
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = jsonReady(e)
		}
		return out
	case []map[string]any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = jsonReady(e)
		}
		return out
	}
	return v
}

func epoch(t time.Time) float64 { return float64(t.UnixNano()) / 1e9 }

// ---- Smithy RPC v2 CBOR ----

type rpcv2CBOR struct{ errorPrefix string }

func (rpcv2CBOR) name() string { return "cbor" }
func (rpcv2CBOR) matches(r *http.Request) bool {
	return strings.EqualFold(r.Header.Get("Smithy-Protocol"), "rpc-v2-cbor")
}

func (p rpcv2CBOR) decode(svc *service, c *Call) error {
	// POST /service/{ServiceName}/operation/{Operation}
	parts := strings.Split(strings.Trim(c.Req.URL.Path, "/"), "/")
	if len(parts) < 4 || parts[len(parts)-4] != "service" || parts[len(parts)-2] != "operation" {
		return Errf(404, "UnknownOperationException", "awssim: %s is not /service/<Service>/operation/<Operation>", c.Req.URL.Path)
	}
	c.Operation = parts[len(parts)-1]
	c.Input = M{}
	if len(c.Body) > 0 {
		v, err := cbor.Decode(c.Body)
		if err != nil {
			return Errf(400, "SerializationException", "awssim: request body is not CBOR: %v", err)
		}
		m, ok := fromCBOR(v).(map[string]any)
		if !ok {
			return Errf(400, "SerializationException", "awssim: CBOR request body is not a map")
		}
		c.Input = m
	}
	return nil
}

func (p rpcv2CBOR) writeOutput(w http.ResponseWriter, svc *service, c *Call, out any) {
	if out == nil {
		out = map[string]any{}
	}
	v, err := toCBOR(out)
	if err != nil {
		p.writeError(w, svc, c, Errf(500, "InternalFailure", "awssim: encoding output: %v", err))
		return
	}
	p.send(w, c, 200, cbor.Encode(v))
}

func (p rpcv2CBOR) writeError(w http.ResponseWriter, svc *service, c *Call, err error) {
	ae := asAPIError(err)
	v := cbor.Map{"__type": cbor.String(p.errorPrefix + ae.Code), "message": cbor.String(ae.Message)}
	setQueryError(w, ae)
	p.send(w, c, ae.Status, cbor.Encode(v))
}

// setQueryError sends an awsQueryCompatible service's legacy code, as AWS does, so the SDKs' ErrorCode()
// is the same whichever protocol the client speaks.
func setQueryError(w http.ResponseWriter, ae *APIError) {
	if ae.QueryCode == "" {
		return
	}
	kind := "Sender"
	if ae.Status >= 500 {
		kind = "Receiver"
	}
	w.Header().Set("X-Amzn-Query-Error", ae.QueryCode+";"+kind)
}

func (p rpcv2CBOR) send(w http.ResponseWriter, c *Call, status int, b []byte) {
	w.Header().Set("Smithy-Protocol", "rpc-v2-cbor")
	w.Header().Set("Content-Type", "application/cbor")
	w.Header().Set("X-Amzn-RequestId", c.ReqID)
	w.Header().Set("Content-Length", strconv.Itoa(len(b)))
	w.WriteHeader(status)
	_, _ = w.Write(b)
}

func fromCBOR(v cbor.Value) any {
	switch x := v.(type) {
	case cbor.Map:
		out := make(map[string]any, len(x))
		for k, e := range x {
			out[k] = fromCBOR(e)
		}
		return out
	case cbor.List:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = fromCBOR(e)
		}
		return out
	case cbor.String:
		return string(x)
	case cbor.Uint:
		return float64(x)
	case cbor.NegInt:
		return -float64(x)
	case cbor.Float32:
		return float64(x)
	case cbor.Float64:
		return float64(x)
	case cbor.Bool:
		return bool(x)
	case cbor.Slice:
		return []byte(x)
	case *cbor.Tag:
		if x.ID == 1 {
			if t, err := cbor.AsTime(x); err == nil {
				return t
			}
		}
		return fromCBOR(x.Value)
	case cbor.Tag:
		return fromCBOR(&x)
	}
	return nil
}

func toCBOR(v any) (cbor.Value, error) {
	switch x := v.(type) {
	case nil:
		return &cbor.Nil{}, nil
	case cbor.Value:
		return x, nil
	case time.Time:
		return &cbor.Tag{ID: 1, Value: cbor.Float64(epoch(x))}, nil
	case string:
		return cbor.String(x), nil
	case bool:
		return cbor.Bool(x), nil
	case int:
		return cborInt(int64(x)), nil
	case int32:
		return cborInt(int64(x)), nil
	case int64:
		return cborInt(x), nil
	case float64:
		if x == math.Trunc(x) && math.Abs(x) < 1<<53 {
			return cborInt(int64(x)), nil
		}
		return cbor.Float64(x), nil
	case float32:
		return cbor.Float64(float64(x)), nil
	case json.Number:
		if i, err := x.Int64(); err == nil {
			return cborInt(i), nil
		}
		f, _ := x.Float64()
		return cbor.Float64(f), nil
	case M:
		return toCBOR(map[string]any(x))
	case map[string]any:
		out := cbor.Map{}
		for k, e := range x {
			cv, err := toCBOR(e)
			if err != nil {
				return nil, err
			}
			out[k] = cv
		}
		return out, nil
	case []any:
		out := make(cbor.List, len(x))
		for i, e := range x {
			cv, err := toCBOR(e)
			if err != nil {
				return nil, err
			}
			out[i] = cv
		}
		return out, nil
	case []map[string]any:
		out := make(cbor.List, len(x))
		for i, e := range x {
			cv, err := toCBOR(e)
			if err != nil {
				return nil, err
			}
			out[i] = cv
		}
		return out, nil
	case []string:
		out := make(cbor.List, len(x))
		for i, e := range x {
			out[i] = cbor.String(e)
		}
		return out, nil
	case []float64:
		out := make(cbor.List, len(x))
		for i, e := range x {
			out[i], _ = toCBOR(e)
		}
		return out, nil
	case []time.Time:
		out := make(cbor.List, len(x))
		for i, e := range x {
			out[i], _ = toCBOR(e)
		}
		return out, nil
	}
	// Structs: go through JSON (timestamps in structs must already be time.Time-free or epoch numbers).
	b, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	var g any
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	if err := dec.Decode(&g); err != nil {
		return nil, err
	}
	return toCBOR(g)
}

func cborInt(i int64) cbor.Value {
	if i < 0 {
		return cbor.NegInt(uint64(-i))
	}
	return cbor.Uint(uint64(i))
}

// ---- awsQuery (RDS, SNS, CloudFormation, STS, CloudWatch from older clients) ----

type queryProtocol struct{}

func (queryProtocol) name() string { return "query" }
func (queryProtocol) matches(r *http.Request) bool {
	return strings.HasPrefix(r.Header.Get("Content-Type"), "application/x-www-form-urlencoded") || r.URL.Query().Get("Action") != ""
}

func decodeForm(c *Call) error {
	vals, err := url.ParseQuery(string(c.Body))
	if err != nil {
		return Errf(400, "MalformedQueryString", "awssim: body is not form-encoded: %v", err)
	}
	for k, v := range c.Req.URL.Query() {
		if _, ok := vals[k]; !ok {
			vals[k] = v
		}
	}
	c.Form = Form(vals)
	c.Operation = vals.Get("Action")
	if c.Operation == "" {
		return Errf(400, "MissingAction", "awssim: the request has no Action parameter")
	}
	return nil
}

func (queryProtocol) decode(svc *service, c *Call) error { return decodeForm(c) }

func (p queryProtocol) writeOutput(w http.ResponseWriter, svc *service, c *Call, out any) {
	var buf bytes.Buffer
	fmt.Fprintf(&buf, `<%sResponse xmlns="%s">`, c.Operation, svc.xmlns)
	if out != nil {
		b, err := xml.Marshal(out)
		if err != nil {
			p.writeError(w, svc, c, Errf(500, "InternalFailure", "awssim: encoding output: %v", err))
			return
		}
		buf.Write(b)
	}
	fmt.Fprintf(&buf, `<ResponseMetadata><RequestId>%s</RequestId></ResponseMetadata></%sResponse>`, c.ReqID, c.Operation)
	sendXML(w, c, 200, buf.Bytes())
}

func (queryProtocol) writeError(w http.ResponseWriter, svc *service, c *Call, err error) {
	ae := asAPIError(err)
	kind := "Sender"
	if ae.Status >= 500 {
		kind = "Receiver"
	}
	code := ae.Code
	if ae.QueryCode != "" {
		code = ae.QueryCode
	}
	var buf bytes.Buffer
	fmt.Fprintf(&buf, `<ErrorResponse xmlns="%s"><Error><Type>%s</Type><Code>%s</Code><Message>%s</Message></Error><RequestId>%s</RequestId></ErrorResponse>`,
		svc.xmlns, kind, xmlEscape(code), xmlEscape(ae.Message), c.ReqID)
	sendXML(w, c, ae.Status, buf.Bytes())
}

func sendXML(w http.ResponseWriter, c *Call, status int, b []byte) {
	w.Header().Set("Content-Type", "text/xml")
	w.Header().Set("X-Amzn-RequestId", c.ReqID)
	w.Header().Set("Content-Length", strconv.Itoa(len(b)))
	w.WriteHeader(status)
	_, _ = w.Write(b)
}

func xmlEscape(s string) string {
	var b bytes.Buffer
	_ = xml.EscapeText(&b, []byte(s))
	return b.String()
}

// ---- ec2Query ----

type ec2Protocol struct{}

func (ec2Protocol) name() string                       { return "ec2" }
func (ec2Protocol) matches(r *http.Request) bool       { return true }
func (ec2Protocol) decode(svc *service, c *Call) error { return decodeForm(c) }

func (p ec2Protocol) writeOutput(w http.ResponseWriter, svc *service, c *Call, out any) {
	b, err := xml.Marshal(out)
	if err != nil {
		p.writeError(w, svc, c, Errf(500, "InternalFailure", "awssim: encoding output: %v", err))
		return
	}
	sendXML(w, c, 200, b)
}

func (ec2Protocol) writeError(w http.ResponseWriter, svc *service, c *Call, err error) {
	ae := asAPIError(err)
	b := fmt.Sprintf(`<?xml version="1.0" encoding="UTF-8"?><Response><Errors><Error><Code>%s</Code><Message>%s</Message></Error></Errors><RequestID>%s</RequestID></Response>`,
		xmlEscape(ae.Code), xmlEscape(ae.Message), c.ReqID)
	sendXML(w, c, ae.Status, []byte(b))
}

// ---- REST protocols ----

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

type restJSON struct{}

func (restJSON) name() string                 { return "rest-json" }
func (restJSON) matches(r *http.Request) bool { return true }

func (restJSON) decode(svc *service, c *Call) error {
	if err := resolveRoute(svc, c); err != nil {
		return err
	}
	c.Input = M{}
	if len(bytes.TrimSpace(c.Body)) > 0 {
		dec := json.NewDecoder(bytes.NewReader(c.Body))
		dec.UseNumber()
		if err := dec.Decode(&c.Input); err != nil {
			return Errf(400, "SerializationException", "awssim: request body is not JSON: %v", err)
		}
	}
	return nil
}

func (p restJSON) writeOutput(w http.ResponseWriter, svc *service, c *Call, out any) {
	status := 200
	var body any = out
	if rr, ok := out.(*RestResponse); ok {
		status, body = rr.Status, rr.Body
		for k, v := range rr.Headers {
			w.Header().Set(k, v)
		}
	}
	var b []byte
	if body != nil {
		var err error
		if b, err = json.Marshal(jsonReady(body)); err != nil {
			p.writeError(w, svc, c, Errf(500, "InternalFailure", "awssim: encoding output: %v", err))
			return
		}
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("X-Amzn-RequestId", c.ReqID)
	w.Header().Set("Content-Length", strconv.Itoa(len(b)))
	w.WriteHeader(status)
	_, _ = w.Write(b)
}

func (restJSON) writeError(w http.ResponseWriter, svc *service, c *Call, err error) {
	ae := asAPIError(err)
	b, _ := json.Marshal(map[string]string{"message": ae.Message, "Message": ae.Message, "Type": "User", "code": ae.Code})
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("X-Amzn-ErrorType", ae.Code)
	w.Header().Set("X-Amzn-RequestId", c.ReqID)
	w.Header().Set("Content-Length", strconv.Itoa(len(b)))
	w.WriteHeader(ae.Status)
	_, _ = w.Write(b)
}

type restXML struct {
	// unwrapped errors (S3) are <Error> at the top; wrapped ones (Route 53) sit in <ErrorResponse>.
	unwrapped bool
	// resolve, when set, replaces route matching (S3's sub-resources live in the query string).
	resolve func(c *Call)
}

func (restXML) name() string                 { return "rest-xml" }
func (restXML) matches(r *http.Request) bool { return true }

func (p restXML) decode(svc *service, c *Call) error {
	if p.resolve != nil {
		p.resolve(c)
		return nil
	}
	return resolveRoute(svc, c)
}

func (p restXML) writeOutput(w http.ResponseWriter, svc *service, c *Call, out any) {
	status := 200
	var body any = out
	if rr, ok := out.(*RestResponse); ok {
		status, body = rr.Status, rr.Body
		for k, v := range rr.Headers {
			w.Header().Set(k, v)
		}
	}
	var b []byte
	if body != nil {
		x, err := xml.Marshal(body)
		if err != nil {
			p.writeError(w, svc, c, Errf(500, "InternalFailure", "awssim: encoding output: %v", err))
			return
		}
		b = append([]byte(xml.Header), x...)
	}
	w.Header().Set("X-Amz-Request-Id", c.ReqID)
	sendXML(w, c, status, b)
}

func (p restXML) writeError(w http.ResponseWriter, svc *service, c *Call, err error) {
	ae := asAPIError(err)
	var b string
	if p.unwrapped {
		b = fmt.Sprintf(`<?xml version="1.0" encoding="UTF-8"?><Error><Code>%s</Code><Message>%s</Message><RequestId>%s</RequestId></Error>`,
			xmlEscape(ae.Code), xmlEscape(ae.Message), c.ReqID)
	} else {
		b = fmt.Sprintf(`<?xml version="1.0" encoding="UTF-8"?><ErrorResponse xmlns="%s"><Error><Type>Sender</Type><Code>%s</Code><Message>%s</Message></Error><RequestId>%s</RequestId></ErrorResponse>`,
			svc.xmlns, xmlEscape(ae.Code), xmlEscape(ae.Message), c.ReqID)
	}
	w.Header().Set("X-Amz-Request-Id", c.ReqID)
	sendXML(w, c, ae.Status, []byte(b))
}

// ---- input accessors ----

// M is a decoded JSON or CBOR object.
type M map[string]any

func (m M) Has(k string) bool { _, ok := m[k]; return ok }

func (m M) Str(k string) string {
	switch v := m[k].(type) {
	case string:
		return v
	case json.Number:
		return v.String()
	}
	return ""
}

func (m M) Float(k string) (float64, bool) {
	switch v := m[k].(type) {
	case json.Number:
		f, err := v.Float64()
		return f, err == nil
	case float64:
		return v, true
	case int64:
		return float64(v), true
	case int:
		return float64(v), true
	case string:
		f, err := strconv.ParseFloat(v, 64)
		return f, err == nil
	}
	return 0, false
}

func (m M) Int(k string) (int64, bool) {
	f, ok := m.Float(k)
	return int64(f), ok
}

func (m M) Bool(k string) (bool, bool) {
	v, ok := m[k].(bool)
	return v, ok
}

// Time reads a timestamp sent as epoch seconds (JSON), a CBOR time tag, or an ISO 8601 string.
func (m M) Time(k string) (time.Time, bool) {
	switch v := m[k].(type) {
	case time.Time:
		return v, true
	case string:
		for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04:05", "2006-01-02"} {
			if t, err := time.Parse(layout, v); err == nil {
				return t, true
			}
		}
		return time.Time{}, false
	}
	if f, ok := m.Float(k); ok {
		sec, frac := math.Modf(f)
		return time.Unix(int64(sec), int64(frac*1e9)).UTC(), true
	}
	return time.Time{}, false
}

func (m M) Map(k string) M {
	if v, ok := m[k].(map[string]any); ok {
		return M(v)
	}
	if v, ok := m[k].(M); ok {
		return v
	}
	return nil
}

func (m M) List(k string) []any {
	v, _ := m[k].([]any)
	return v
}

// Maps returns the list under k, keeping only its object members.
func (m M) Maps(k string) []M {
	var out []M
	for _, e := range m.List(k) {
		if mm, ok := e.(map[string]any); ok {
			out = append(out, M(mm))
		}
	}
	return out
}

// Strings returns the list under k, keeping only its string members.
func (m M) Strings(k string) []string {
	var out []string
	for _, e := range m.List(k) {
		if s, ok := e.(string); ok {
			out = append(out, s)
		}
	}
	return out
}

// Form is a decoded query-protocol request.
type Form url.Values

func (f Form) Get(k string) string { return url.Values(f).Get(k) }

// Members reads a query list such as "Filters.member.N" or EC2's "RegionName.N" (prefix without index),
// returning the values in index order.
func (f Form) Members(prefix string) []string {
	var out []string
	for i := 1; ; i++ {
		k := prefix + "." + strconv.Itoa(i)
		v, ok := f[k]
		if !ok || len(v) == 0 {
			return out
		}
		out = append(out, v[0])
	}
}

// Structs reads a list of structures such as "Parameters.member.N.ParameterKey", returning one map of
// field → value per index.
func (f Form) Structs(prefix string) []map[string]string {
	var out []map[string]string
	for i := 1; ; i++ {
		p := prefix + "." + strconv.Itoa(i) + "."
		m := map[string]string{}
		for k, v := range f {
			if strings.HasPrefix(k, p) && len(v) > 0 {
				m[strings.TrimPrefix(k, p)] = v[0]
			}
		}
		if len(m) == 0 {
			return out
		}
		out = append(out, m)
	}
}

// Bool reads a query boolean ("true"/"false").
func (f Form) Bool(k string) (bool, bool) {
	v := f.Get(k)
	if v == "" {
		return false, false
	}
	b, err := strconv.ParseBool(v)
	return b, err == nil
}

// Time reads an ISO 8601 query timestamp.
func (f Form) Time(k string) (time.Time, bool) {
	return M{k: f.Get(k)}.Time(k)
}
