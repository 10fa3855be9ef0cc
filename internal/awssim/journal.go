package awssim

import "time"

// JournalEntry records one mutating call. Changed is false when the call found the target state already
// in place (an idempotent repeat), which is how tests prove exactly-once effects.
type JournalEntry struct {
	Seq       int       `json:"seq"`
	Time      time.Time `json:"time"`
	Service   string    `json:"service"`
	Region    string    `json:"region"`
	Operation string    `json:"operation"`
	Resource  string    `json:"resource"`
	Changed   bool      `json:"changed"`
	Detail    string    `json:"detail,omitempty"`
}

// record appends to the journal; call it with the lock held from every mutating handler.
func (s *Server) record(c *Call, resource string, changed bool, detail string) {
	s.journal = append(s.journal, JournalEntry{
		Seq: len(s.journal) + 1, Time: c.Now, Service: c.Service, Region: c.Region, Operation: c.Operation,
		Resource: resource, Changed: changed, Detail: detail,
	})
}

// Journal returns a copy of the journal.
func (s *Server) Journal() []JournalEntry {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]JournalEntry(nil), s.journal...)
}

// journaled wraps a mutating handler so a refused call is journaled too, as changed=false with the error
// code the client received: the journal is the record of every mutating call (an idempotent retry that
// meets "already exists" or "already primary" included), and a refusal changed nothing. The handler
// journals its own successes. resource names what the call addressed.
func journaled(resource func(*Call) string, op opFunc) opFunc {
	return func(s *Server, c *Call) (any, error) {
		out, err := op(s, c)
		if err != nil {
			s.record(c, resource(c), false, "refused: "+asAPIError(err).Code)
		}
		return out, err
	}
}

// formParam names a query-protocol call's resource by one of its parameters.
func formParam(name string) func(*Call) string {
	return func(c *Call) string { return c.Form.Get(name) }
}

// inputParam names a JSON-protocol call's resource by one of its members.
func inputParam(name string) func(*Call) string {
	return func(c *Call) string { return c.Input.Str(name) }
}

// pathParam names a REST call's resource by one of its URI parameters.
func pathParam(name string) func(*Call) string {
	return func(c *Call) string { return c.Path[name] }
}
