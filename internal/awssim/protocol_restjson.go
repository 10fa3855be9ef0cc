package awssim

import (
	"encoding/json"
	"net/http"
)

// restJSON is rest-json (Lambda, API Gateway, Backup): the operation from the method and path, the input a
// JSON body, the status and headers the handler's to choose.
type restJSON struct{}

func (restJSON) name() string                 { return "rest-json" }
func (restJSON) matches(r *http.Request) bool { return true }

func (restJSON) decode(svc *service, c *Call) error {
	if err := resolveRoute(svc, c); err != nil {
		return err
	}
	return decodeJSONBody(c)
}

func (p restJSON) writeOutput(w http.ResponseWriter, svc *service, c *Call, out any) {
	status, body := restOutput(w, out)
	var b []byte
	if body != nil {
		var err error
		if b, err = json.Marshal(jsonReady(body)); err != nil {
			p.writeError(w, svc, c, encodingFailed(err))
			return
		}
	}
	writeBody(w, c, status, "application/json", b)
}

func (restJSON) writeError(w http.ResponseWriter, svc *service, c *Call, err error) {
	ae := asAPIError(err)
	b, _ := json.Marshal(map[string]string{"message": ae.Message, "Message": ae.Message, "Type": "User", "code": ae.Code})
	w.Header().Set("X-Amzn-ErrorType", ae.Code)
	writeBody(w, c, ae.Status, "application/json", b)
}
