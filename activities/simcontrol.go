package activities

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"go.temporal.io/sdk/temporal"
)

// A drill against awssim makes the disaster real for the workflows by asking the simulator, through its
// control API at <AWS endpoint>/_sim/faults, to take the primary region down. Against real AWS (or any
// endpoint that is not an awssim) these activities refuse: there the drill runs in planned mode and
// nothing is injected.

// ErrNotSimulator is the error type of an injection refused because the endpoint is not an awssim.
const ErrNotSimulator = "NotSimulator"

// SimOutageInput names the region whose outage is injected or lifted.
type SimOutageInput struct {
	Region string `json:"region"`
	// Mode is awssim's outage mode: refuse (connections closed, the default) or hang.
	Mode string `json:"mode,omitempty"`
}

// SimOutageResult says what the call found and did.
type SimOutageResult struct {
	Endpoint string   `json:"endpoint"`
	FaultIDs []string `json:"faultIds,omitempty"`
	// Changed is false when the outage was already in place (inject) or already gone (lift).
	Changed bool `json:"changed"`
}

// SimulatorInfo says whether the AWS endpoint the worker uses is an awssim.
type SimulatorInfo struct {
	Simulator bool   `json:"simulator"`
	Endpoint  string `json:"endpoint,omitempty"`
	Reason    string `json:"reason,omitempty"`
}

type simFault struct {
	ID     string `json:"id"`
	Kind   string `json:"kind"`
	Region string `json:"region,omitempty"`
	Mode   string `json:"mode,omitempty"`
}

// DetectSimulator tells a drill whether it can inject a disaster or must run in planned mode. Not being a
// simulator is an answer, not an error.
func (a *Activities) DetectSimulator(ctx context.Context) (SimulatorInfo, error) {
	ep := a.AWS.Endpoint()
	if ep == "" {
		return SimulatorInfo{Reason: "no custom AWS endpoint: this is real AWS"}, nil
	}
	if _, err := a.simFaults(ctx, ep); err != nil {
		var ae *temporal.ApplicationError
		if errors.As(err, &ae) && ae.Type() == ErrNotSimulator {
			return SimulatorInfo{Endpoint: ep, Reason: ae.Message()}, nil
		}
		return SimulatorInfo{}, err
	}
	return SimulatorInfo{Simulator: true, Endpoint: ep}, nil
}

// InjectRegionOutage adds a region-outage fault unless one for the region is already active, so running it
// twice leaves one fault.
func (a *Activities) InjectRegionOutage(ctx context.Context, in SimOutageInput) (SimOutageResult, error) {
	ep, err := a.simEndpoint()
	if err != nil {
		return SimOutageResult{}, err
	}
	res := SimOutageResult{Endpoint: ep}
	faults, err := a.simFaults(ctx, ep)
	if err != nil {
		return res, err
	}
	for _, f := range faults {
		if f.Kind == "region-outage" && f.Region == in.Region {
			res.FaultIDs = append(res.FaultIDs, f.ID)
		}
	}
	if len(res.FaultIDs) > 0 {
		return res, nil
	}
	body, _ := json.Marshal(simFault{Kind: "region-outage", Region: in.Region, Mode: in.Mode})
	var out struct {
		ID    string `json:"id"`
		Error string `json:"error"`
	}
	if err := a.simCall(ctx, http.MethodPost, ep+"/_sim/faults", body, &out); err != nil {
		return res, err
	}
	res.FaultIDs, res.Changed = []string{out.ID}, true
	return res, nil
}

// LiftRegionOutage removes every region-outage fault of the region; with none left it changes nothing.
func (a *Activities) LiftRegionOutage(ctx context.Context, in SimOutageInput) (SimOutageResult, error) {
	ep, err := a.simEndpoint()
	if err != nil {
		return SimOutageResult{}, err
	}
	res := SimOutageResult{Endpoint: ep}
	faults, err := a.simFaults(ctx, ep)
	if err != nil {
		return res, err
	}
	for _, f := range faults {
		if f.Kind != "region-outage" || f.Region != in.Region {
			continue
		}
		err := a.simCall(ctx, http.MethodDelete, ep+"/_sim/faults/"+f.ID, nil, nil)
		var ae *temporal.ApplicationError
		// A 404 means another attempt removed it after our read: the state we want.
		if err != nil && !(errors.As(err, &ae) && ae.Type() == "SimFaultNotFound") {
			return res, err
		}
		res.FaultIDs, res.Changed = append(res.FaultIDs, f.ID), true
	}
	return res, nil
}

func (a *Activities) simEndpoint() (string, error) {
	ep := strings.TrimSuffix(a.AWS.Endpoint(), "/")
	if ep == "" {
		return "", refuse(ErrNotSimulator, "the worker talks to real AWS (no custom endpoint): a disaster cannot be injected there; run the drill in planned mode (Aurora switchover, nothing injected)")
	}
	return ep, nil
}

func (a *Activities) simFaults(ctx context.Context, ep string) ([]simFault, error) {
	var faults []simFault
	if err := a.simCall(ctx, http.MethodGet, strings.TrimSuffix(ep, "/")+"/_sim/faults", nil, &faults); err != nil {
		return nil, err
	}
	return faults, nil
}

// simCall makes one control-API call. An endpoint that does not answer the control API with JSON is not an
// awssim (LocalStack, a proxy, a typo) and is refused without retries; a network error is retried.
func (a *Activities) simCall(ctx context.Context, method, url string, body []byte, out any) error {
	c, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(c, method, url, bytes.NewReader(body))
	if err != nil {
		return refuse(ErrNotSimulator, "awssim control API %s: %v", url, err)
	}
	req.Header.Set("Content-Type", "application/json")
	hc := a.HTTP
	if hc == nil {
		hc = http.DefaultClient
	}
	resp, err := hc.Do(req)
	if err != nil {
		return temporal.NewApplicationError(fmt.Sprintf("awssim control API %s %s: %v", method, url, err), "NetworkError")
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	isJSON := strings.HasPrefix(resp.Header.Get("Content-Type"), "application/json")
	host := strings.SplitN(strings.TrimPrefix(strings.TrimPrefix(url, "http://"), "https://"), "/", 2)[0]
	switch {
	case resp.StatusCode >= 500:
		return temporal.NewApplicationError(fmt.Sprintf("awssim control API %s %s answered HTTP %d", method, url, resp.StatusCode), "SimUnavailable")
	case !isJSON || (resp.StatusCode == http.StatusNotFound && method != http.MethodDelete):
		return refuse(ErrNotSimulator, "%s is not an awssim: %s %s answered HTTP %d %s; against real AWS or LocalStack the drill runs in planned mode",
			host, method, strings.TrimPrefix(url, "http://"+host), resp.StatusCode, snippet(b))
	case resp.StatusCode == http.StatusNotFound:
		return refuse("SimFaultNotFound", "awssim control API %s %s: %s", method, url, snippet(b))
	case resp.StatusCode >= 300:
		return refuse("SimFaultRejected", "awssim control API %s %s refused: HTTP %d %s", method, url, resp.StatusCode, snippet(b))
	}
	if out == nil {
		return nil
	}
	if err := json.Unmarshal(b, out); err != nil {
		return refuse(ErrNotSimulator, "awssim control API %s %s: unexpected answer %s: %v", method, url, snippet(b), err)
	}
	return nil
}

func snippet(b []byte) string {
	s := strings.TrimSpace(string(b))
	if len(s) > 120 {
		s = truncateUTF8(s, 120, "…")
	}
	return s
}
