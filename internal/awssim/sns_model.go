package awssim

import (
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
