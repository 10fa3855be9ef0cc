package iam

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path"
	"sort"
	"strings"

	"github.com/roadcall/dr/internal/topology"
)

// Document is an IAM policy document, the subset the worker's policy and awssim's enforcement use.
type Document struct {
	Version   string      `json:"Version"`
	Statement []Statement `json:"Statement"`
}

// Statement is one statement; Action and Resource are always lists when printed.
type Statement struct {
	Sid      string  `json:"Sid,omitempty"`
	Effect   string  `json:"Effect"`
	Action   Strings `json:"Action"`
	Resource Strings `json:"Resource"`
}

// Strings reads IAM's "a string or a list of strings".
type Strings []string

func (s *Strings) UnmarshalJSON(b []byte) error {
	var one string
	if json.Unmarshal(b, &one) == nil {
		*s = Strings{one}
		return nil
	}
	var many []string
	if err := json.Unmarshal(b, &many); err != nil {
		return fmt.Errorf("want a string or a list of strings, got %s", bytes.TrimSpace(b))
	}
	*s = many
	return nil
}

// PolicyFor is the worker's least-privilege policy for a topology: one statement per Sid of the table, in
// the table's order, with the resources of its rows; a statement whose actions support no resource-level
// permission gets "*" and nothing else.
func PolicyFor(t topology.Topology) Document {
	type acc struct {
		actions   []string
		resources []string
		star      bool
	}
	var order []string
	by := map[string]*acc{}
	for _, p := range Table {
		a := by[p.Sid]
		if a == nil {
			a = &acc{}
			by[p.Sid] = a
			order = append(order, p.Sid)
		}
		a.actions = append(a.actions, p.Action)
		a.actions = append(a.actions, dependent[p.Action]...)
		if p.Resources == nil {
			a.star = true
			continue
		}
		a.resources = append(a.resources, p.Resources(t)...)
	}
	doc := Document{Version: "2012-10-17"}
	for _, sid := range order {
		a := by[sid]
		res := uniq(a.resources)
		if a.star {
			res = []string{"*"}
		}
		if len(res) == 0 {
			// The topology has none of the resources (no SSM cutover, no backup vault): nothing to grant.
			continue
		}
		doc.Statement = append(doc.Statement, Statement{Sid: sid, Effect: "Allow", Action: uniq(a.actions), Resource: res})
	}
	return doc
}

func uniq(in []string) []string {
	seen := map[string]bool{}
	out := []string{}
	for _, s := range in {
		if !seen[s] {
			seen[s] = true
			out = append(out, s)
		}
	}
	sort.Strings(out)
	return out
}

// JSON is the document indented as the IAM console shows it.
func (d Document) JSON() []byte {
	b, _ := json.MarshalIndent(d, "", "  ")
	return append(b, '\n')
}

// Without returns the document minus the statement named sid.
func (d Document) Without(sid string) Document {
	out := Document{Version: d.Version}
	for _, s := range d.Statement {
		if s.Sid != sid {
			out.Statement = append(out.Statement, s)
		}
	}
	return out
}

// Load reads and validates an IAM policy document.
func Load(file string) (Document, error) {
	b, err := os.ReadFile(file)
	if err != nil {
		return Document{}, fmt.Errorf("--enforce-policy %s: %w", file, err)
	}
	d, err := Parse(b)
	if err != nil {
		return Document{}, fmt.Errorf("--enforce-policy %s: not an IAM policy: %w", file, err)
	}
	return d, nil
}

// Parse refuses what IAM would refuse, and what awssim cannot evaluate (Condition, NotAction, principals):
// enforcing a policy it only half understood would prove nothing.
func Parse(b []byte) (Document, error) {
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(b, &raw); err != nil {
		return Document{}, fmt.Errorf("not a JSON object: %w", err)
	}
	for k := range raw {
		if k != "Version" && k != "Statement" && k != "Id" {
			return Document{}, fmt.Errorf("unknown element %q (an IAM policy has Version, Id and Statement)", k)
		}
	}
	var d Document
	if err := json.Unmarshal(raw["Version"], &d.Version); err != nil || (d.Version != "2012-10-17" && d.Version != "2008-10-17") {
		return Document{}, fmt.Errorf(`Version must be "2012-10-17" (or "2008-10-17")`)
	}
	var stmts []json.RawMessage
	if err := json.Unmarshal(raw["Statement"], &stmts); err != nil {
		var one json.RawMessage
		if json.Unmarshal(raw["Statement"], &one) != nil || len(one) == 0 || one[0] != '{' {
			return Document{}, fmt.Errorf("Statement must be a statement or a list of statements")
		}
		stmts = []json.RawMessage{one}
	}
	if len(stmts) == 0 {
		return Document{}, fmt.Errorf("Statement is empty")
	}
	for i, sb := range stmts {
		var sr map[string]json.RawMessage
		if err := json.Unmarshal(sb, &sr); err != nil {
			return Document{}, fmt.Errorf("Statement[%d]: not an object", i)
		}
		for k := range sr {
			switch k {
			case "Sid", "Effect", "Action", "Resource":
			default:
				return Document{}, fmt.Errorf("Statement[%d]: %s is not supported by awssim's enforcement", i, k)
			}
		}
		var s Statement
		if err := json.Unmarshal(sb, &s); err != nil {
			return Document{}, fmt.Errorf("Statement[%d]: %w", i, err)
		}
		if s.Effect != "Allow" && s.Effect != "Deny" {
			return Document{}, fmt.Errorf("Statement[%d]: Effect must be Allow or Deny, got %q", i, s.Effect)
		}
		if len(s.Action) == 0 {
			return Document{}, fmt.Errorf("Statement[%d]: Action is missing", i)
		}
		for _, a := range s.Action {
			if a != "*" && !strings.Contains(a, ":") {
				return Document{}, fmt.Errorf("Statement[%d]: action %q is not service:Action", i, a)
			}
		}
		if len(s.Resource) == 0 {
			return Document{}, fmt.Errorf("Statement[%d]: Resource is missing", i)
		}
		d.Statement = append(d.Statement, s)
	}
	return d, nil
}

// Allows evaluates the document as IAM evaluates one identity policy: an explicit Deny wins, then any Allow;
// otherwise the implicit deny. Actions match case-insensitively, resources case-sensitively, both with * and
// ?. An empty resource is a call whose ARN awssim does not derive: only the action is checked.
func (d Document) Allows(action, resource string) bool {
	allowed := false
	for _, s := range d.Statement {
		if !s.matches(action, resource) {
			continue
		}
		if s.Effect == "Deny" {
			return false
		}
		allowed = true
	}
	return allowed
}

func (s Statement) matches(action, resource string) bool {
	ok := false
	for _, a := range s.Action {
		if glob(strings.ToLower(a), strings.ToLower(action)) {
			ok = true
			break
		}
	}
	if !ok {
		return false
	}
	if resource == "" {
		return true
	}
	for _, r := range s.Resource {
		if glob(r, resource) {
			return true
		}
	}
	return false
}

// glob is IAM's wildcard match, where * also crosses "/" (unlike path.Match).
func glob(pattern, s string) bool {
	if !strings.ContainsAny(pattern, "*?") {
		return pattern == s
	}
	// path.Match treats "/" as a separator; IAM does not, so match with "/" swapped for a byte ARNs never hold.
	const sep = "\x00"
	ok, err := path.Match(strings.ReplaceAll(escape(pattern), "/", sep), strings.ReplaceAll(s, "/", sep))
	return err == nil && ok
}

// escape quotes path.Match's other metacharacters, which IAM reads literally.
func escape(p string) string {
	r := strings.NewReplacer(`[`, `\[`, `]`, `\]`, `\`, `\\`)
	return r.Replace(p)
}

// Denies is whether a statement explicitly denies the action on the resource (what IAM's simulator reports
// as explicitDeny rather than implicitDeny).
func (d Document) Denies(action, resource string) bool {
	for _, s := range d.Statement {
		if s.Effect == "Deny" && s.matches(action, resource) {
			return true
		}
	}
	return false
}
