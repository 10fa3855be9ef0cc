package awssim

import (
	"encoding/json"
	"math"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// The input accessors: handlers read a decoded request through M (JSON and CBOR objects) or Form (query
// parameters), whatever protocol carried it.

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
