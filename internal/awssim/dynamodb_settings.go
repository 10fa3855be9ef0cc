package awssim

import (
	"fmt"
	"sort"
	"strings"
	"time"
)

// The table settings a point-in-time restore drops. RestoreTableToPointInTime's API reference lists what
// must be set up again on the restored table: auto scaling policies, IAM policies, CloudWatch metrics and
// alarms, tags, stream settings, TTL settings and PITR settings. A restore also does not take deletion
// protection. awssim models streams, TTL, tags and deletion protection here (PITR is in the model), so a
// restore that forgets one of them shows the difference.

// ttlSettle is how long a TTL change is in progress. UpdateTimeToLive's API reference: "It can take up to
// one hour for the change to fully process. Any additional UpdateTimeToLive calls for the same table during
// this one hour duration result in a ValidationException." It is scaled like every modeled duration.
const ttlSettle = time.Hour

// TableSettings are a table's settings that RestoreTableToPointInTime does not copy to the new table.
type TableSettings struct {
	// StreamViewType is the enabled stream's view type, "" when streams are off.
	StreamViewType string `json:"streamViewType,omitempty"`
	// StreamLabel labels the latest stream. It outlives a disabled stream, as LatestStreamArn does in AWS
	// (the stream stays readable for 24 hours).
	StreamLabel        string            `json:"streamLabel,omitempty"`
	TTL                TTLState          `json:"ttl,omitzero"`
	Tags               map[string]string `json:"tags,omitempty"`
	DeletionProtection bool              `json:"deletionProtection,omitempty"`
}

// TTLState is a table's Time to Live: ENABLING or DISABLING until SettlesAt, then ENABLED or DISABLED.
type TTLState struct {
	Enabled       bool      `json:"enabled,omitempty"`
	AttributeName string    `json:"attributeName,omitempty"`
	SettlesAt     time.Time `json:"settlesAt,omitzero"`
}

// Status is DescribeTimeToLive's TimeToLiveStatus at now.
func (t TTLState) Status(now time.Time) string {
	settling := now.Before(t.SettlesAt)
	switch {
	case t.Enabled && settling:
		return "ENABLING"
	case t.Enabled:
		return "ENABLED"
	case settling:
		return "DISABLING"
	}
	return "DISABLED"
}

// seedTableSettings gives a seeded table what the production tables have: a NEW_AND_OLD_IMAGES stream on
// the incidents and tracking tables (their consumers) and on every global table (global tables replicate
// through it), TTL on expiresAt for the tracking sessions, the platform's tags, and deletion protection.
func seedTableSettings(name string, global bool, born time.Time) TableSettings {
	st := TableSettings{DeletionProtection: true, Tags: map[string]string{"Application": "roadcall", "DataClassification": "confidential"}}
	if i := strings.LastIndexByte(name, '-'); i > 0 {
		st.Tags["Environment"] = name[i+1:]
	}
	if global || strings.Contains(name, "incidents") || strings.Contains(name, "tracking") {
		st.StreamViewType, st.StreamLabel = "NEW_AND_OLD_IMAGES", streamLabel(born)
	}
	if strings.Contains(name, "tracking-sessions") {
		st.TTL = TTLState{Enabled: true, AttributeName: "expiresAt"}
	}
	return st
}

func streamLabel(at time.Time) string { return at.UTC().Format("2006-01-02T15:04:05.000") }

// describeSettings adds the settings to a DescribeTable TableDescription.
func describeSettings(t *Table, d map[string]any) {
	if t.StreamViewType != "" {
		d["StreamSpecification"] = map[string]any{"StreamEnabled": true, "StreamViewType": t.StreamViewType}
	}
	if t.StreamLabel != "" {
		d["LatestStreamLabel"], d["LatestStreamArn"] = t.StreamLabel, t.ARN+"/stream/"+t.StreamLabel
	}
	d["DeletionProtectionEnabled"] = t.DeletionProtection
}

var streamViewTypes = []string{"NEW_IMAGE", "OLD_IMAGE", "NEW_AND_OLD_IMAGES", "KEYS_ONLY"}

// tableSettingsUpdate checks UpdateTable's StreamSpecification and DeletionProtectionEnabled and returns the
// change to apply, or nil when the call sets neither; nothing changes until every check has passed.
func tableSettingsUpdate(t *Table, c *Call) (func(now time.Time) string, error) {
	spec, hasStream := c.Input.Map("StreamSpecification"), c.Input.Has("StreamSpecification")
	protect, hasProtect := c.Input.Bool("DeletionProtectionEnabled")
	if !hasStream && !hasProtect {
		return nil, nil
	}
	if t.Status != "ACTIVE" {
		return nil, inUse(t)
	}
	view := ""
	if hasStream {
		enable, ok := spec.Bool("StreamEnabled")
		view = spec.Str("StreamViewType")
		switch {
		case !ok:
			return nil, Errf(400, "ValidationException", "1 validation error detected: Value null at 'streamSpecification.streamEnabled' failed to satisfy constraint: Member must not be null")
		case enable && !contains(streamViewTypes, view):
			return nil, Errf(400, "ValidationException", "1 validation error detected: Value '%s' at 'streamSpecification.streamViewType' failed to satisfy constraint: Member must satisfy enum value set: [%s]", view, strings.Join(streamViewTypes, ", "))
		case !enable && view != "":
			return nil, Errf(400, "ValidationException", "One or more parameter values were invalid: StreamViewType cannot be specified when StreamEnabled is false")
		case enable && t.StreamViewType != "":
			// The documented rule: a stream's view type cannot be changed in place; disable, then enable.
			return nil, Errf(400, "ValidationException", "Table already has an enabled stream: TableName: %s", t.Name)
		case !enable && t.StreamViewType == "":
			return nil, Errf(400, "ValidationException", "Table does not have an enabled stream: TableName: %s", t.Name)
		case !enable && len(t.Replicas) > 1:
			return nil, Errf(400, "ValidationException", "Cannot disable the stream of table %s: it replicates a global table", t.Name)
		}
	}
	return func(now time.Time) string {
		var done []string
		if hasStream {
			t.StreamViewType = view
			if view != "" {
				t.StreamLabel = streamLabel(now)
			}
			done = append(done, fmt.Sprintf("stream=%q", view))
		}
		if hasProtect {
			t.DeletionProtection = protect
			done = append(done, fmt.Sprintf("deletionProtection=%v", protect))
		}
		return strings.Join(done, " ")
	}, nil
}

func contains(list []string, s string) bool {
	for _, e := range list {
		if e == s {
			return true
		}
	}
	return false
}

func ddbDescribeTimeToLive(s *Server, c *Call) (any, error) {
	t, _, err := ddbTable(s, c, "TableName")
	if err != nil {
		return nil, err
	}
	d := map[string]any{"TimeToLiveStatus": t.TTL.Status(c.Now)}
	if t.TTL.Enabled || c.Now.Before(t.TTL.SettlesAt) {
		d["AttributeName"] = t.TTL.AttributeName
	}
	return map[string]any{"TimeToLiveDescription": d}, nil
}

// ddbUpdateTimeToLive follows UpdateTimeToLive's rules: one change an hour, no enabling what is enabled or
// disabling what is disabled, and a different attribute only after disabling.
func ddbUpdateTimeToLive(s *Server, c *Call) (any, error) {
	t, name, err := ddbTable(s, c, "TableName")
	if err != nil {
		return nil, err
	}
	spec := c.Input.Map("TimeToLiveSpecification")
	enable, ok := spec.Bool("Enabled")
	attr := spec.Str("AttributeName")
	switch {
	case spec == nil:
		return nil, Errf(400, "ValidationException", "1 validation error detected: Value null at 'timeToLiveSpecification' failed to satisfy constraint: Member must not be null")
	case !ok:
		return nil, Errf(400, "ValidationException", "1 validation error detected: Value null at 'timeToLiveSpecification.enabled' failed to satisfy constraint: Member must not be null")
	case len(attr) < 1 || len(attr) > 255:
		return nil, Errf(400, "ValidationException", "1 validation error detected: Value '%s' at 'timeToLiveSpecification.attributeName' failed to satisfy constraint: Member must have length between 1 and 255", attr)
	case t.Status == "CREATING":
		return nil, inUse(t)
	case c.Now.Before(t.TTL.SettlesAt):
		return nil, Errf(400, "ValidationException", "Time to live has been modified multiple times within a fixed interval")
	case enable && t.TTL.Enabled:
		return nil, Errf(400, "ValidationException", "TimeToLive is already enabled")
	case !enable && !t.TTL.Enabled:
		return nil, Errf(400, "ValidationException", "TimeToLive is already disabled")
	case !enable && attr != t.TTL.AttributeName:
		return nil, Errf(400, "ValidationException", "TimeToLive is active on a different AttributeName: current AttributeName is %s", t.TTL.AttributeName)
	}
	t.TTL = TTLState{Enabled: enable, AttributeName: attr, SettlesAt: s.after(ttlSettle)}
	s.record(c, name, true, fmt.Sprintf("ttl enabled=%v attribute=%s", enable, attr))
	return map[string]any{"TimeToLiveSpecification": map[string]any{"Enabled": enable, "AttributeName": attr}}, nil
}

// tagTable finds the table a tagging call's ResourceArn names; those calls take an ARN, never a name.
func tagTable(s *Server, c *Call) (*Table, string, error) {
	arn := c.Input.Str("ResourceArn")
	i := strings.Index(arn, ":table/")
	if !strings.HasPrefix(arn, "arn:") || i < 0 {
		return nil, arn, Errf(400, "ValidationException", "Invalid TableArn: Invalid ResourceArn provided as input %s", arn)
	}
	name := arn[i+len(":table/"):]
	t := s.world.Regions[c.Region].Tables[name]
	if t == nil || t.ARN != arn {
		return nil, arn, Errf(400, "ResourceNotFoundException", "Requested resource not found: ResourcArn: %s not found", arn)
	}
	return t, name, nil
}

// maxTags is the tag limit of a DynamoDB table (the Tag shape's documentation: up to 50).
const maxTags = 50

func ddbTagResource(s *Server, c *Call) (any, error) {
	t, name, err := tagTable(s, c)
	if err != nil {
		return nil, err
	}
	if t.Status == "CREATING" {
		return nil, inUse(t)
	}
	add := map[string]string{}
	for _, tg := range c.Input.Maps("Tags") {
		k, v := tg.Str("Key"), tg.Str("Value")
		switch {
		case len(k) < 1 || len(k) > 128:
			return nil, Errf(400, "ValidationException", "1 validation error detected: Value '%s' at 'tags.member.key' failed to satisfy constraint: Member must have length between 1 and 128", k)
		case len(v) > 256:
			return nil, Errf(400, "ValidationException", "1 validation error detected: Value at 'tags.member.value' failed to satisfy constraint: Member must have length less than or equal to 256")
		case strings.HasPrefix(k, "aws:"):
			return nil, Errf(400, "ValidationException", "One or more parameter values were invalid: Tag keys starting with 'aws:' are reserved for AWS use: %s", k)
		}
		add[k] = v
	}
	if len(add) == 0 {
		return nil, Errf(400, "ValidationException", "1 validation error detected: Value null at 'tags' failed to satisfy constraint: Member must not be null")
	}
	n := len(t.Tags)
	for k := range add {
		if _, ok := t.Tags[k]; !ok {
			n++
		}
	}
	if n > maxTags {
		return nil, Errf(400, "ValidationException", "One or more parameter values were invalid: The number of tags on %s would be %d, more than the limit of %d", name, n, maxTags)
	}
	if t.Tags == nil {
		t.Tags = map[string]string{}
	}
	for k, v := range add {
		t.Tags[k] = v
	}
	s.record(c, name, true, "tags "+strings.Join(SortedKeys(add), ","))
	return map[string]any{}, nil
}

// tagPage is how many tags one ListTagsOfResource page holds here, small so callers must follow NextToken.
const tagPage = 10

func ddbListTagsOfResource(s *Server, c *Call) (any, error) {
	t, _, err := tagTable(s, c)
	if err != nil {
		return nil, err
	}
	keys := SortedKeys(t.Tags)
	start := sort.SearchStrings(keys, c.Input.Str("NextToken"))
	if tok := c.Input.Str("NextToken"); tok != "" && start < len(keys) && keys[start] == tok {
		start++
	}
	tags := []any{}
	out := map[string]any{}
	for i := start; i < len(keys); i++ {
		if len(tags) == tagPage {
			out["NextToken"] = keys[i-1]
			break
		}
		tags = append(tags, map[string]any{"Key": keys[i], "Value": t.Tags[keys[i]]})
	}
	out["Tags"] = tags
	return out, nil
}
