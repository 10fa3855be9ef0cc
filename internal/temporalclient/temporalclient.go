// Package temporalclient dials Temporal the same way for the worker, the starter and the tests, and the
// way the temporal CLI does: its flags, its TEMPORAL_* environment variables and its profiles in
// temporal.toml (go.temporal.io/sdk/contrib/envconfig), so an operator who can reach a cluster with
// `temporal workflow list` reaches it with the worker and the starter unchanged. zap is the SDK's logger
// so the worker's own lines and the SDK's lines come out in one format.
package temporalclient

import (
	"context"
	"fmt"
	"strings"

	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/log"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
)

// Defaults match `temporal server start-dev` and the temporal CLI.
const (
	DefaultAddress   = "localhost:7233"
	DefaultNamespace = "default"
)

// Dial resolves cfg and connects to Temporal, checking the connection. A nil logger keeps the SDK quiet.
// A setting that cannot be used (an unreadable certificate, a missing profile) is a *SettingError.
func Dial(ctx context.Context, cfg Config, z *zap.Logger) (client.Client, error) {
	conn, err := cfg.Load()
	if err != nil {
		return nil, err
	}
	return conn.Dial(ctx, z)
}

// Dial connects with the resolved settings.
func (c Connection) Dial(ctx context.Context, z *zap.Logger) (client.Client, error) {
	if z == nil {
		z = zap.NewNop()
	}
	opts := c.Options
	opts.Logger = SDKLogger(z)
	opts.DataConverter = CodecDataConverter(c.Codec)
	opts.FailureConverter = FailureConverter(c.Codec)
	cl, err := client.DialContext(ctx, opts)
	if err != nil {
		return nil, fmt.Errorf("connect to Temporal at %s: %w%s", c, err, c.hint(err))
	}
	return cl, nil
}

// hint turns the gRPC layer's TLS errors, which name neither the setting nor the side at fault, into
// what to change.
func (c Connection) hint(err error) string {
	msg := err.Error()
	switch {
	case strings.Contains(msg, "certificate required") && c.ClientCert != "":
		// Go's TLS client offers a certificate only when a CA the server names in its request signed it;
		// otherwise it sends none, and the server answers "certificate required".
		return fmt.Sprintf("; the server refused our client certificate (%s): mTLS there needs one signed by a CA the server trusts, and this one is not", c.ClientCert)
	case strings.Contains(msg, "certificate required"):
		return "; the server requires a client certificate (mTLS): set TEMPORAL_TLS_CLIENT_CERT_PATH and TEMPORAL_TLS_CLIENT_KEY_PATH (or --tls-cert-path/--tls-key-path, or tls.client_cert_path/client_key_path in the profile)"
	case strings.Contains(msg, "remote error: tls: unknown certificate authority"),
		strings.Contains(msg, "remote error: tls: bad certificate"),
		strings.Contains(msg, "remote error: tls: certificate unknown"),
		strings.Contains(msg, "remote error: tls: expired certificate"):
		return fmt.Sprintf("; the server refused our client certificate (%s): it must be signed by a CA the server trusts for mTLS", c.ClientCert)
	case strings.Contains(msg, "certificate signed by unknown authority"):
		return "; the server's certificate is not signed by a CA we trust: set TEMPORAL_TLS_SERVER_CA_CERT_PATH (--tls-ca-path) to its CA"
	case strings.Contains(msg, "certificate is valid for"), strings.Contains(msg, "doesn't contain any IP SANs"):
		return "; the server's certificate does not name this address: set TEMPORAL_TLS_SERVER_NAME (--tls-server-name) to a name it holds"
	case strings.Contains(msg, "first record does not look like a TLS handshake"):
		return "; the server does not speak TLS there: unset the TLS settings or set TEMPORAL_TLS=false"
	case c.TLS && (strings.Contains(msg, "broken pipe") || strings.Contains(msg, "connection reset by peer")):
		// A server that closes right after its alert leaves the client a reset instead of the reason.
		if c.ClientCert != "" {
			return fmt.Sprintf("; the server hung up during the TLS handshake: if it requires mTLS, it refused our client certificate (%s)", c.ClientCert)
		}
		return "; the server hung up during the TLS handshake: if it requires mTLS, set TEMPORAL_TLS_CLIENT_CERT_PATH and TEMPORAL_TLS_CLIENT_KEY_PATH"
	case !c.TLS:
		return "; is the server up? (make demo starts a dev server; or set TEMPORAL_ADDRESS; a TLS endpoint such as Temporal Cloud needs TEMPORAL_TLS=true or TEMPORAL_API_KEY)"
	}
	return "; is the server up, and is this its TLS endpoint?"
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
