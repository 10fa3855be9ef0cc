package awssim

import "encoding/xml"

// SNS wire shapes: the awsQuery XML results.

type snsPublishResult struct {
	XMLName   xml.Name `xml:"PublishResult"`
	MessageId string
}

type snsTopicsResult struct {
	XMLName xml.Name `xml:"ListTopicsResult"`
	Topics  struct {
		Items []struct{ TopicArn string } `xml:"member"`
	} `xml:"Topics"`
}

type snsCreateTopicResult struct {
	XMLName  xml.Name `xml:"CreateTopicResult"`
	TopicArn string
}

type snsSubscribeResult struct {
	XMLName         xml.Name `xml:"SubscribeResult"`
	SubscriptionArn string
}

type snsSubscriptionXML struct {
	SubscriptionArn string
	Owner           string
	Protocol        string
	Endpoint        string
	TopicArn        string
}

type snsListSubscriptionsResult struct {
	XMLName       xml.Name `xml:"ListSubscriptionsByTopicResult"`
	Subscriptions struct {
		Items []snsSubscriptionXML `xml:"member"`
	} `xml:"Subscriptions"`
}
