package awssim

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
)

// control serves the /_sim/ JSON API: state, faults, reset, journal, requests, config, DNS resolution and per-region
// health URLs.
func (s *Server) control(w http.ResponseWriter, r *http.Request) {
	path := strings.TrimPrefix(r.URL.Path, "/_sim/")
	switch {
	case path == "state" && r.Method == http.MethodGet:
		s.mu.Lock()
		s.advanceAll(s.now())
		b, err := json.Marshal(map[string]any{"timeScale": s.scale, "durations": s.durations, "world": s.world, "faults": s.faults,
			"servingRegion": s.world.ServingRegion(s.topo), "routingControls": arcStates(s.world), "writes": s.allWrites()})
		s.mu.Unlock()
		if err != nil {
			writeJSON(w, 500, map[string]string{"error": err.Error()})
			return
		}
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write(b)
	case path == "dns" && r.Method == http.MethodGet:
		s.serveDNS(w, r)
	case path == "faults" && r.Method == http.MethodGet:
		writeJSON(w, 200, s.Faults())
	case path == "faults" && r.Method == http.MethodPost:
		var f Fault
		dec := json.NewDecoder(io.LimitReader(r.Body, 1<<16))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&f); err != nil {
			writeJSON(w, 400, map[string]string{"error": "fault body: " + err.Error()})
			return
		}
		id, err := s.AddFault(f)
		if err != nil {
			writeJSON(w, 400, map[string]string{"error": err.Error()})
			return
		}
		writeJSON(w, 201, map[string]string{"id": id})
	case path == "faults" && r.Method == http.MethodDelete:
		s.RemoveFault("")
		writeJSON(w, 200, map[string]bool{"removed": true})
	case strings.HasPrefix(path, "faults/") && r.Method == http.MethodDelete:
		id := strings.TrimPrefix(path, "faults/")
		if !s.RemoveFault(id) {
			writeJSON(w, 404, map[string]string{"error": "no fault " + id})
			return
		}
		writeJSON(w, 200, map[string]bool{"removed": true})
	case path == "alarms" && r.Method == http.MethodPost:
		s.serveSetAlarm(w, r)
	case path == "reset" && r.Method == http.MethodPost:
		s.Reset()
		writeJSON(w, 200, map[string]bool{"reset": true})
	case path == "journal" && r.Method == http.MethodGet:
		j := s.Journal()
		if j == nil {
			j = []JournalEntry{}
		}
		writeJSON(w, 200, j)
	case path == "requests" && r.Method == http.MethodGet:
		since, err := sinceParam(r.URL.Query().Get("since"))
		if err != nil {
			writeJSON(w, 400, map[string]string{"error": "since: want the seq of the last request already read"})
			return
		}
		writeJSON(w, 200, s.Requests(since))
	case path == "config" && r.Method == http.MethodPost:
		var cfg struct {
			TimeScale *float64 `json:"timeScale"`
		}
		// Past maxTimeScale a modeled hour overflows a Duration's range in a few multiplications.
		if err := json.NewDecoder(io.LimitReader(r.Body, 1<<16)).Decode(&cfg); err != nil || cfg.TimeScale == nil || !(*cfg.TimeScale >= 0 && *cfg.TimeScale <= maxTimeScale) {
			writeJSON(w, 400, map[string]string{"error": fmt.Sprintf("config body: want {\"timeScale\": F} with 0 <= F <= %d", maxTimeScale)})
			return
		}
		s.SetTimeScale(*cfg.TimeScale)
		writeJSON(w, 200, map[string]float64{"timeScale": *cfg.TimeScale})
	case strings.HasPrefix(path, "health/") && (r.Method == http.MethodGet || r.Method == http.MethodHead):
		region := strings.TrimPrefix(path, "health/")
		s.mu.Lock()
		s.advanceAll(s.now())
		_, known := s.world.Regions[region]
		out := s.regionOut(region)
		// serving says whether DNS resolution sends the API's traffic here now.
		serving := s.world.ServingRegion(s.topo) == region
		s.mu.Unlock()
		switch {
		case !known:
			writeJSON(w, 404, map[string]string{"error": "unknown region " + region})
		case out:
			writeJSON(w, 503, map[string]any{"status": "unavailable", "region": region, "serving": serving})
		default:
			writeJSON(w, 200, map[string]any{"status": "ok", "region": region, "serving": serving})
		}
	default:
		writeJSON(w, 404, map[string]string{"error": "no such control endpoint: " + r.Method + " /_sim/" + path})
	}
}

// maxTimeScale: 1 is real time; a larger scale slows modeled durations down, which only a benchmark of
// real minutes needs.
const maxTimeScale = 1000

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}
