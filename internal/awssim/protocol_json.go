package awssim

import (
	"encoding/json"
	"hash/crc32"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// awsJSON is awsJson1_0 and awsJson1_1: the operation in X-Amz-Target, the input a JSON object.
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
	return decodeJSONBody(c)
}

func (p awsJSON) writeOutput(w http.ResponseWriter, svc *service, c *Call, out any) {
	if out == nil {
		out = map[string]any{}
	}
	b, err := json.Marshal(jsonReady(out))
	if err != nil {
		p.writeError(w, svc, c, encodingFailed(err))
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
	if p.crc32 {
		w.Header().Set("X-Amz-Crc32", strconv.FormatUint(uint64(crc32.ChecksumIEEE(b)), 10))
	}
	writeBody(w, c, status, ct, b)
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
		return jsonReadyList(x)
	case []map[string]any:
		return jsonReadyList(x)
	}
	return v
}

func jsonReadyList[T any](x []T) []any {
	out := make([]any, len(x))
	for i, e := range x {
		out[i] = jsonReady(e)
	}
	return out
}

func epoch(t time.Time) float64 { return float64(t.UnixNano()) / 1e9 }
