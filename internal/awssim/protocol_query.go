package awssim

import (
	"bytes"
	"encoding/xml"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// queryProtocol is awsQuery (RDS, SNS, CloudFormation, STS, CloudWatch from older clients): a form-encoded
// request, an XML "<Operation>Response" envelope around the handler's result.
type queryProtocol struct{}

func (queryProtocol) name() string { return "query" }
func (queryProtocol) matches(r *http.Request) bool {
	return strings.HasPrefix(r.Header.Get("Content-Type"), "application/x-www-form-urlencoded") || r.URL.Query().Get("Action") != ""
}

// decodeForm reads the form body, with URL query parameters filling in what the body lacks.
func decodeForm(c *Call) error {
	vals, err := url.ParseQuery(string(c.Body))
	if err != nil {
		return Errf(400, "MalformedQueryString", "awssim: body is not form-encoded: %v", err)
	}
	for k, v := range c.Req.URL.Query() {
		if _, ok := vals[k]; !ok {
			vals[k] = v
		}
	}
	c.Form = Form(vals)
	c.Operation = vals.Get("Action")
	if c.Operation == "" {
		return Errf(400, "MissingAction", "awssim: the request has no Action parameter")
	}
	return nil
}

func (queryProtocol) decode(svc *service, c *Call) error { return decodeForm(c) }

func (p queryProtocol) writeOutput(w http.ResponseWriter, svc *service, c *Call, out any) {
	var buf bytes.Buffer
	fmt.Fprintf(&buf, `<%sResponse xmlns="%s">`, c.Operation, svc.xmlns)
	if out != nil {
		b, err := xml.Marshal(out)
		if err != nil {
			p.writeError(w, svc, c, encodingFailed(err))
			return
		}
		buf.Write(b)
	}
	fmt.Fprintf(&buf, `<ResponseMetadata><RequestId>%s</RequestId></ResponseMetadata></%sResponse>`, c.ReqID, c.Operation)
	sendXML(w, c, 200, buf.Bytes())
}

func (queryProtocol) writeError(w http.ResponseWriter, svc *service, c *Call, err error) {
	ae := asAPIError(err)
	code := ae.Code
	if ae.QueryCode != "" {
		code = ae.QueryCode
	}
	var buf bytes.Buffer
	fmt.Fprintf(&buf, `<ErrorResponse xmlns="%s"><Error><Type>%s</Type><Code>%s</Code><Message>%s</Message></Error><RequestId>%s</RequestId></ErrorResponse>`,
		svc.xmlns, errorSide(ae), xmlEscape(code), xmlEscape(ae.Message), c.ReqID)
	sendXML(w, c, ae.Status, buf.Bytes())
}

// ec2Protocol is ec2Query: a form-encoded request like awsQuery, but the handler returns the whole
// "<Operation>Response" and errors have EC2's own shape.
type ec2Protocol struct{}

func (ec2Protocol) name() string                       { return "ec2" }
func (ec2Protocol) matches(r *http.Request) bool       { return true }
func (ec2Protocol) decode(svc *service, c *Call) error { return decodeForm(c) }

func (p ec2Protocol) writeOutput(w http.ResponseWriter, svc *service, c *Call, out any) {
	b, err := xml.Marshal(out)
	if err != nil {
		p.writeError(w, svc, c, encodingFailed(err))
		return
	}
	sendXML(w, c, 200, b)
}

func (ec2Protocol) writeError(w http.ResponseWriter, svc *service, c *Call, err error) {
	ae := asAPIError(err)
	b := fmt.Sprintf(`<?xml version="1.0" encoding="UTF-8"?><Response><Errors><Error><Code>%s</Code><Message>%s</Message></Error></Errors><RequestID>%s</RequestID></Response>`,
		xmlEscape(ae.Code), xmlEscape(ae.Message), c.ReqID)
	sendXML(w, c, ae.Status, []byte(b))
}

func resultName(c *Call) xml.Name { return xml.Name{Local: c.Operation + "Result"} }

func iso(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format("2006-01-02T15:04:05.000Z")
}
