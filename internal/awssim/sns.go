package awssim

import (
	"fmt"
	"regexp"
	"strings"
	"unicode"
	"unicode/utf8"
)

const snsXMLNS = "http://sns.amazonaws.com/doc/2010-03-31/"

// SNS speaks awsQuery. Topics keep the messages published to them and their subscriptions; nothing is
// delivered.
func init() {
	register(&service{
		name: "sns", protocol: queryProtocol{}, xmlns: snsXMLNS,
		ops: map[string]opFunc{
			"Publish":                  journaled(formParam("TopicArn"), snsPublish),
			"ListTopics":               snsListTopics,
			"CreateTopic":              journaled(formParam("Name"), snsCreateTopic),
			"Subscribe":                journaled(formParam("TopicArn"), snsSubscribe),
			"ListSubscriptionsByTopic": snsListSubscriptionsByTopic,
		},
	})
}

var snsTopicName = regexp.MustCompile(`^[A-Za-z0-9_-]{1,256}(\.fifo)?$`)

var snsProtocols = map[string]bool{"http": true, "https": true, "email": true, "email-json": true, "sms": true, "sqs": true,
	"application": true, "lambda": true, "firehose": true}

func snsInvalid(what string) error {
	return Errf(400, "InvalidParameter", "Invalid parameter: %s", what)
}

// snsTopic resolves a topic ARN of the caller's region. SNS is regional: a topic ARN of another region is an
// invalid parameter, not a missing topic.
func (s *Server) snsTopic(c *Call, arn string) (*Topic, error) {
	parts := strings.Split(arn, ":")
	if arn == "" || len(parts) != 6 || parts[0] != "arn" || parts[2] != "sns" {
		return nil, snsInvalid("TopicArn")
	}
	if parts[3] != c.Region {
		return nil, snsInvalid(fmt.Sprintf("TopicArn (%s is a topic of %s; this endpoint is %s)", arn, parts[3], c.Region))
	}
	t := s.world.Regions[c.Region].Topics[parts[5]]
	if t == nil || t.ARN != arn {
		return nil, Errf(404, "NotFound", "Topic does not exist: %s in %s", arn, c.Region)
	}
	return t, nil
}

func snsPublish(s *Server, c *Call) (any, error) {
	arn := c.Form.Get("TopicArn")
	if arn == "" {
		arn = c.Form.Get("TargetArn")
	}
	if arn == "" {
		return nil, snsInvalid("TopicArn or TargetArn Reason: no value for required parameter")
	}
	t, err := s.snsTopic(c, arn)
	if err != nil {
		return nil, err
	}
	msg, subject := c.Form.Get("Message"), c.Form.Get("Subject")
	if msg == "" {
		return nil, snsInvalid("Empty message")
	}
	// PublishInput in SNS's model: a message is UTF-8 of at most 262,144 bytes; a subject is "UTF-8 text with
	// no line breaks or control characters, and less than 100 characters long".
	if len(msg) > 262144 {
		return nil, snsInvalid("Message too long")
	}
	if !utf8.ValidString(msg) {
		return nil, snsInvalid("Message must be UTF-8 encoded")
	}
	if subject != "" && (utf8.RuneCountInString(subject) >= 100 || !utf8.ValidString(subject) ||
		strings.IndexFunc(subject, unicode.IsControl) >= 0) {
		return nil, snsInvalid("Subject")
	}
	m := &Message{ID: snsMessageID(t.ARN, len(t.Messages), c.ReqID), Subject: subject, Body: msg, At: c.Now}
	t.Messages = append(t.Messages, m)
	// Publish is not idempotent in AWS: every call is a new message, so every call is a change.
	s.record(c, t.ARN, true, "message "+m.ID)
	return snsPublishResult{MessageId: m.ID}, nil
}

func snsListTopics(s *Server, c *Call) (any, error) {
	out := snsTopicsResult{}
	topics := s.world.Regions[c.Region].Topics
	for _, name := range SortedKeys(topics) {
		out.Topics.Items = append(out.Topics.Items, struct{ TopicArn string }{topics[name].ARN})
	}
	return out, nil
}

// snsCreateTopic is idempotent as in AWS: creating an existing topic returns its ARN.
func snsCreateTopic(s *Server, c *Call) (any, error) {
	name := c.Form.Get("Name")
	if !snsTopicName.MatchString(name) {
		return nil, snsInvalid("Topic Name")
	}
	topics := s.world.Regions[c.Region].Topics
	if t := topics[name]; t != nil {
		s.record(c, t.ARN, false, "exists")
		return snsCreateTopicResult{TopicArn: t.ARN}, nil
	}
	t := &Topic{Name: name, ARN: fmt.Sprintf("arn:aws:sns:%s:%s:%s", c.Region, s.world.AccountID, name)}
	topics[name] = t
	s.record(c, t.ARN, true, "created")
	return snsCreateTopicResult{TopicArn: t.ARN}, nil
}

func snsSubscribe(s *Server, c *Call) (any, error) {
	t, err := s.snsTopic(c, c.Form.Get("TopicArn"))
	if err != nil {
		return nil, err
	}
	proto, endpoint := c.Form.Get("Protocol"), c.Form.Get("Endpoint")
	if !snsProtocols[proto] {
		return nil, snsInvalid("Invalid protocol type: " + proto)
	}
	if endpoint == "" {
		return nil, snsInvalid("Endpoint")
	}
	returnARN, _ := c.Form.Bool("ReturnSubscriptionArn")
	show := func(sub *Subscription) snsSubscribeResult {
		if !sub.Confirmed && !returnARN {
			return snsSubscribeResult{SubscriptionArn: "pending confirmation"}
		}
		return snsSubscribeResult{SubscriptionArn: sub.ARN}
	}
	for _, sub := range t.Subscriptions {
		if sub.Protocol == proto && sub.Endpoint == endpoint {
			s.record(c, sub.ARN, false, "already subscribed")
			return show(sub), nil
		}
	}
	sub := &Subscription{
		ARN:      fmt.Sprintf("%s:%s", t.ARN, snsMessageID(t.ARN, proto, endpoint)),
		Protocol: proto, Endpoint: endpoint,
		Confirmed: !strings.HasPrefix(proto, "email") && !strings.HasPrefix(proto, "http"),
	}
	t.Subscriptions = append(t.Subscriptions, sub)
	s.record(c, sub.ARN, true, proto+" "+endpoint)
	return show(sub), nil
}

func snsListSubscriptionsByTopic(s *Server, c *Call) (any, error) {
	t, err := s.snsTopic(c, c.Form.Get("TopicArn"))
	if err != nil {
		return nil, err
	}
	out := snsListSubscriptionsResult{}
	for _, sub := range t.Subscriptions {
		arn := sub.ARN
		if !sub.Confirmed {
			arn = "PendingConfirmation"
		}
		out.Subscriptions.Items = append(out.Subscriptions.Items, snsSubscriptionXML{
			SubscriptionArn: arn, Owner: s.world.AccountID, Protocol: sub.Protocol, Endpoint: sub.Endpoint, TopicArn: t.ARN,
		})
	}
	return out, nil
}
