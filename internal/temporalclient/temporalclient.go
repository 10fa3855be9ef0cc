// Package temporalclient dials Temporal the same way for the worker, the starter and the tests: address and
// namespace from flags or TEMPORAL_ADDRESS/TEMPORAL_NAMESPACE, and zap as the SDK's logger so the worker's
// own lines and the SDK's lines come out in one format.
package temporalclient

import (
	"context"
	"flag"
	"fmt"
	"os"
	"strings"

	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/log"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
)

// Defaults match `temporal server start-dev`.
const (
	DefaultAddress   = "localhost:7233"
	DefaultNamespace = "default"
)

// Config is where Temporal is.
type Config struct {
	Address   string
	Namespace string
}

// FromEnv reads TEMPORAL_ADDRESS and TEMPORAL_NAMESPACE, falling back to the dev server's defaults.
func FromEnv() Config {
	c := Config{Address: os.Getenv("TEMPORAL_ADDRESS"), Namespace: os.Getenv("TEMPORAL_NAMESPACE")}
	if c.Address == "" {
		c.Address = DefaultAddress
	}
	if c.Namespace == "" {
		c.Namespace = DefaultNamespace
	}
	return c
}

// Flags registers --address and --namespace with the environment (or the defaults) as their defaults, so a
// flag given on the command line wins over the environment.
func Flags(fs *flag.FlagSet) *Config {
	env := FromEnv()
	c := &Config{}
	fs.StringVar(&c.Address, "address", env.Address, "Temporal frontend host:port (env TEMPORAL_ADDRESS)")
	fs.StringVar(&c.Namespace, "namespace", env.Namespace, "Temporal namespace (env TEMPORAL_NAMESPACE)")
	return c
}

// Dial connects to Temporal and checks the connection. A nil logger keeps the SDK quiet.
func Dial(ctx context.Context, address, namespace string, z *zap.Logger) (client.Client, error) {
	if z == nil {
		z = zap.NewNop()
	}
	c, err := client.DialContext(ctx, client.Options{HostPort: address, Namespace: namespace, Logger: SDKLogger(z), DataConverter: DataConverter()})
	if err != nil {
		return nil, fmt.Errorf("connect to Temporal at %s (namespace %s): %w; is the server up? (make demo starts a dev server; or set TEMPORAL_ADDRESS)", address, namespace, err)
	}
	return c, nil
}

// NewLogger builds a production zap logger at the given level (debug, info, warn, error).
func NewLogger(level string) (*zap.Logger, error) {
	lvl, err := zapcore.ParseLevel(strings.ToLower(strings.TrimSpace(level)))
	if err != nil {
		return nil, fmt.Errorf("log level %q: want debug, info, warn or error", level)
	}
	cfg := zap.NewProductionConfig()
	cfg.Level = zap.NewAtomicLevelAt(lvl)
	cfg.Encoding = "console"
	cfg.EncoderConfig.EncodeTime = zapcore.ISO8601TimeEncoder
	cfg.EncoderConfig.EncodeLevel = zapcore.CapitalLevelEncoder
	cfg.Sampling = nil
	// The SDK logs retried activity errors at error level; a stack trace of the SDK's poller under each
	// one buries the message that names the resource.
	cfg.DisableStacktrace = true
	return cfg.Build()
}

// SDKLogger adapts zap to the SDK's log.Logger. zap's slog bridge lives in a separate module
// (go.uber.org/zap/exp); the SDK's key-value style maps directly onto zap's sugared logger instead.
func SDKLogger(z *zap.Logger) log.Logger {
	return sdkLogger{z.WithOptions(zap.AddCallerSkip(1)).Sugar()}
}

type sdkLogger struct{ s *zap.SugaredLogger }

func (l sdkLogger) Debug(msg string, kv ...any) { l.s.Debugw(msg, kv...) }
func (l sdkLogger) Info(msg string, kv ...any)  { l.s.Infow(msg, kv...) }
func (l sdkLogger) Warn(msg string, kv ...any)  { l.s.Warnw(msg, kv...) }
func (l sdkLogger) Error(msg string, kv ...any) { l.s.Errorw(msg, kv...) }

// With keeps the SDK's per-workflow and per-activity fields (WorkflowID, RunID, ActivityType...).
func (l sdkLogger) With(kv ...any) log.Logger { return sdkLogger{l.s.With(kv...)} }

// WithCallerSkip keeps caller locations pointing at workflow code rather than the SDK's wrappers.
func (l sdkLogger) WithCallerSkip(n int) log.Logger {
	return sdkLogger{l.s.WithOptions(zap.AddCallerSkip(n))}
}

var (
	_ log.WithLogger      = sdkLogger{}
	_ log.WithSkipCallers = sdkLogger{}
)
