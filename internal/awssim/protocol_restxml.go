package awssim

import (
	"encoding/xml"
	"fmt"
	"net/http"
)

// restXML is rest-xml (Route 53, S3): the operation from the method and path, XML bodies.
type restXML struct {
	// unwrapped errors (S3) are <Error> at the top; wrapped ones (Route 53) sit in <ErrorResponse>.
	unwrapped bool
	// resolve, when set, replaces route matching (S3's sub-resources live in the query string).
	resolve func(c *Call)
}

func (restXML) name() string                 { return "rest-xml" }
func (restXML) matches(r *http.Request) bool { return true }

func (p restXML) decode(svc *service, c *Call) error {
	if p.resolve != nil {
		p.resolve(c)
		return nil
	}
	return resolveRoute(svc, c)
}

func (p restXML) writeOutput(w http.ResponseWriter, svc *service, c *Call, out any) {
	status, body := restOutput(w, out)
	if raw, ok := body.(rawBody); ok {
		w.Header().Set("X-Amz-Request-Id", c.ReqID)
		writeBody(w, c, status, raw.contentType, raw.data)
		return
	}
	var b []byte
	if body != nil {
		x, err := xml.Marshal(body)
		if err != nil {
			p.writeError(w, svc, c, encodingFailed(err))
			return
		}
		b = append([]byte(xml.Header), x...)
	}
	w.Header().Set("X-Amz-Request-Id", c.ReqID)
	sendXML(w, c, status, b)
}

func (p restXML) writeError(w http.ResponseWriter, svc *service, c *Call, err error) {
	ae := asAPIError(err)
	var b string
	if p.unwrapped {
		b = fmt.Sprintf(`<?xml version="1.0" encoding="UTF-8"?><Error><Code>%s</Code><Message>%s</Message><RequestId>%s</RequestId></Error>`,
			xmlEscape(ae.Code), xmlEscape(ae.Message), c.ReqID)
	} else {
		b = fmt.Sprintf(`<?xml version="1.0" encoding="UTF-8"?><ErrorResponse xmlns="%s"><Error><Type>Sender</Type><Code>%s</Code><Message>%s</Message></Error><RequestId>%s</RequestId></ErrorResponse>`,
			svc.xmlns, xmlEscape(ae.Code), xmlEscape(ae.Message), c.ReqID)
	}
	w.Header().Set("X-Amz-Request-Id", c.ReqID)
	sendXML(w, c, ae.Status, []byte(b))
}
