package awssim

// The data-plane reads the project uses on a table: Scan and GetItem, with their projections.

import (
	"strings"
)

// dataTable is the table a data-plane call reads: AWS answers ResourceNotFoundException for a table that
// is still CREATING (a restore in progress), not only for a missing one.
func dataTable(s *Server, c *Call) (*Table, error) {
	t, name, err := ddbTable(s, c, "TableName")
	if err != nil {
		return nil, err
	}
	if t.Status == "CREATING" {
		return nil, Errf(400, "ResourceNotFoundException", "Requested resource not found: Table: %s is being created in %s", name, c.Region)
	}
	for _, f := range []string{"FilterExpression", "ScanFilter", "IndexName", "Segment", "KeyConditionExpression"} {
		if c.Input.Has(f) {
			return nil, Errf(400, "ValidationException", "awssim does not model %s on %s (table %s in %s)", f, c.Operation, name, c.Region)
		}
	}
	return t, nil
}

// projection applies a ProjectionExpression of top-level attribute names (with #placeholders).
func projection(c *Call, attrs map[string]any) (map[string]any, error) {
	expr := c.Input.Str("ProjectionExpression")
	if expr == "" {
		return attrs, nil
	}
	names := c.Input.Map("ExpressionAttributeNames")
	out := map[string]any{}
	for _, p := range strings.Split(expr, ",") {
		p = strings.TrimSpace(p)
		if strings.ContainsAny(p, ".[") {
			return nil, Errf(400, "ValidationException", "awssim models only top-level attribute names in ProjectionExpression, not %q", p)
		}
		if strings.HasPrefix(p, "#") {
			n := names.Str(p)
			if n == "" {
				return nil, Errf(400, "ValidationException", "Value provided in ExpressionAttributeNames unused in expressions: keys: {%s}", p)
			}
			p = n
		}
		if v, ok := attrs[p]; ok {
			out[p] = v
		}
	}
	return out, nil
}

func ddbScan(s *Server, c *Call) (any, error) {
	t, err := dataTable(s, c)
	if err != nil {
		return nil, err
	}
	limit := int64(-1)
	if l, ok := c.Input.Int("Limit"); ok {
		if l < 1 {
			return nil, Errf(400, "ValidationException", "1 validation error detected: Value '%d' at 'limit' failed to satisfy constraint: Member must have value greater than or equal to 1", l)
		}
		limit = l
	}
	start := ""
	if k := c.Input.Map("ExclusiveStartKey"); k != nil {
		if start = keyOf(t, k); start == "" {
			return nil, Errf(400, "ValidationException", "The provided starting key is invalid: The provided key element does not match the schema")
		}
	}
	count := c.Input.Str("Select") == "COUNT"
	items := []any{}
	var last string
	for _, a := range liveItems(t, c.Now) {
		k := keyOf(t, a)
		if start != "" && k <= start {
			continue
		}
		if limit >= 0 && int64(len(items)) >= limit {
			break
		}
		last = k
		if count {
			items = append(items, nil)
			continue
		}
		p, err := projection(c, a)
		if err != nil {
			return nil, err
		}
		items = append(items, p)
	}
	out := map[string]any{"Count": len(items), "ScannedCount": len(items)}
	if !count {
		out["Items"] = items
	}
	// DynamoDB stops at Limit without looking further, so a page that fills its Limit always carries a
	// LastEvaluatedKey, even when nothing follows.
	if limit >= 0 && int64(len(items)) == limit {
		out["LastEvaluatedKey"] = map[string]any{t.KeyAttribute: map[string]any{"S": last}}
	}
	return out, nil
}

func ddbGetItem(s *Server, c *Call) (any, error) {
	t, err := dataTable(s, c)
	if err != nil {
		return nil, err
	}
	key := c.Input.Map("Key")
	k := keyOf(t, key)
	if k == "" || len(key) != 1 {
		return nil, Errf(400, "ValidationException", "The provided key element does not match the schema")
	}
	for _, it := range t.Items {
		if it.Key != k {
			continue
		}
		if a := it.At(c.Now); a != nil {
			p, err := projection(c, a)
			if err != nil {
				return nil, err
			}
			return map[string]any{"Item": p}, nil
		}
	}
	return map[string]any{}, nil
}
