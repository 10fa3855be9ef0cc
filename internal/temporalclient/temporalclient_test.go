package temporalclient

import (
	"testing"

	"go.temporal.io/sdk/log"
	"go.uber.org/zap"
	"go.uber.org/zap/zaptest/observer"
)

func TestSDKLoggerCarriesFieldsAndLevels(t *testing.T) {
	core, logs := observer.New(zap.DebugLevel)
	l := SDKLogger(zap.New(core))
	l.Debug("polling", "TaskQueue", "roadcall-dr")
	withWF := l.(interface{ With(...any) log.Logger }).With("WorkflowID", "readiness-roadcall-prod")
	withWF.Warn("activity retry", "Attempt", 2)
	l.Error("failed", "Error", "boom")

	all := logs.AllUntimed()
	if len(all) != 3 {
		t.Fatalf("want 3 entries, got %d", len(all))
	}
	if all[0].Level != zap.DebugLevel || all[0].ContextMap()["TaskQueue"] != "roadcall-dr" {
		t.Fatalf("debug entry: %+v", all[0])
	}
	ctx := all[1].ContextMap()
	if all[1].Level != zap.WarnLevel || ctx["WorkflowID"] != "readiness-roadcall-prod" || ctx["Attempt"] != int64(2) {
		t.Fatalf("warn entry: %+v", all[1])
	}
	if all[2].Level != zap.ErrorLevel {
		t.Fatalf("error entry: %+v", all[2])
	}
}

func TestNewLoggerRefusesUnknownLevel(t *testing.T) {
	if _, err := NewLogger("loud"); err == nil {
		t.Fatal("want an error for level loud")
	}
	if _, err := NewLogger("WARN"); err != nil {
		t.Fatal(err)
	}
}
