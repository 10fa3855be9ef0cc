package awssim

import (
	"encoding/json"
	"math"
	"net/http"
	"strings"
	"time"

	"github.com/aws/smithy-go/encoding/cbor"
)

// rpcv2CBOR is Smithy RPC v2 CBOR: the operation in the path, input and output CBOR maps.
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
		p.writeError(w, svc, c, encodingFailed(err))
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

func (p rpcv2CBOR) send(w http.ResponseWriter, c *Call, status int, b []byte) {
	w.Header().Set("Smithy-Protocol", "rpc-v2-cbor")
	writeBody(w, c, status, "application/cbor", b)
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
		return cborList(x)
	case []map[string]any:
		return cborList(x)
	case []string:
		return cborList(x)
	case []float64:
		return cborList(x)
	case []time.Time:
		return cborList(x)
	}
	// Structs: go through JSON (timestamps in structs must already be time.Time-free or epoch numbers).
	b, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	var g any
	if err := decodeJSON(b, &g); err != nil {
		return nil, err
	}
	return toCBOR(g)
}

func cborList[T any](x []T) (cbor.Value, error) {
	out := make(cbor.List, len(x))
	for i, e := range x {
		cv, err := toCBOR(e)
		if err != nil {
			return nil, err
		}
		out[i] = cv
	}
	return out, nil
}

func cborInt(i int64) cbor.Value {
	if i < 0 {
		return cbor.NegInt(uint64(-i))
	}
	return cbor.Uint(uint64(i))
}
