package awssim

import (
	"fmt"
	"hash/fnv"
	"time"

	"github.com/roadcall/dr/internal/topology"
)

// The SNS model: topics with the messages published to them and their subscriptions.

type Topic struct {
	Name          string          `json:"name"`
	ARN           string          `json:"arn"`
	Messages      []*Message      `json:"messages"`
	Subscriptions []*Subscription `json:"subscriptions,omitempty"`
}

type Message struct {
	ID      string    `json:"id"`
	Subject string    `json:"subject"`
	Body    string    `json:"body"`
	At      time.Time `json:"at"`
}

// seedSNS creates the alarm topic in every region.
func seedSNS(w *World, t topology.Topology) {
	for _, r := range t.Regions() {
		w.Regions[r].Topics[t.AlarmTopic] = &Topic{Name: t.AlarmTopic, ARN: t.TopicARN(r)}
	}
}

// Subscription is one endpoint subscribed to a topic.
type Subscription struct {
	ARN      string `json:"arn"`
	Protocol string `json:"protocol"`
	Endpoint string `json:"endpoint"`
	// Confirmed is false for email and HTTP endpoints until they confirm, as in AWS; awssim never sends the
	// confirmation, so they stay pending.
	Confirmed bool `json:"confirmed"`
}

// snsMessageID is a UUID-shaped id, deterministic for a seeded run.
func snsMessageID(parts ...any) string {
	h := fnv.New128a()
	fmt.Fprint(h, parts...)
	b := h.Sum(nil)
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}
