package temporalclient

import (
	"bytes"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"

	"github.com/roadcall/dr/internal/testcerts"
)

// fakeEnv stands in for the process environment, so these tests neither see nor change the machine's.
type fakeEnv map[string]string

func (e fakeEnv) LookupEnv(k string) (string, bool) { v, ok := e[k]; return v, ok }
func (e fakeEnv) Environ() []string {
	var out []string
	for k, v := range e {
		out = append(out, k+"="+v)
	}
	return out
}

func parse(t *testing.T, env fakeEnv, args ...string) Config {
	t.Helper()
	fs := flag.NewFlagSet("x", flag.ContinueOnError)
	c := Flags(fs)
	if err := fs.Parse(args); err != nil {
		t.Fatal(err)
	}
	c.Env = env
	return *c
}

func load(t *testing.T, c Config) Connection {
	t.Helper()
	conn, err := c.Load()
	if err != nil {
		t.Fatal(err)
	}
	return conn
}

func writeFile(t *testing.T, name, body string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// noFile keeps the machine's own ~/.config/temporalio/temporal.toml out of a test.
func noFile(env fakeEnv) fakeEnv {
	env["TEMPORAL_CONFIG_FILE"] = "/nonexistent/temporal.toml"
	return env
}

func TestDefaultsAreTheDevServers(t *testing.T) {
	// A missing file is no error when no profile is asked for, as for the CLI.
	conn := load(t, parse(t, noFile(fakeEnv{})))
	if conn.Options.HostPort != DefaultAddress || conn.Options.Namespace != DefaultNamespace || conn.TLS {
		t.Fatalf("defaults: %s", conn)
	}
}

func TestPrecedenceFlagsThenEnvThenProfileThenDefaults(t *testing.T) {
	ca := testcerts.NewCA(t, "prof")
	file := writeFile(t, "temporal.toml", fmt.Sprintf(`
[profile.default]
address = "default-profile:7233"

[profile.prod]
address = "prod.example:7233"
namespace = "dr-prod"
[profile.prod.tls]
server_ca_cert_path = %q
server_name = "prod.example"
`, ca.CertFile))

	// Profile only: the named profile's values, TLS because the profile has a tls table.
	conn := load(t, parse(t, fakeEnv{"TEMPORAL_CONFIG_FILE": file, "TEMPORAL_PROFILE": "prod"}))
	if conn.Options.HostPort != "prod.example:7233" || conn.Options.Namespace != "dr-prod" || !conn.TLS ||
		conn.Options.ConnectionOptions.TLS.ServerName != "prod.example" || !strings.Contains(conn.Profile, "prod in "+file) {
		t.Fatalf("profile: %s %+v", conn, conn.Options.ConnectionOptions.TLS)
	}
	// The default profile of the file when none is named; defaults fill what it lacks.
	conn = load(t, parse(t, fakeEnv{"TEMPORAL_CONFIG_FILE": file}))
	if conn.Options.HostPort != "default-profile:7233" || conn.Options.Namespace != DefaultNamespace || conn.TLS {
		t.Fatalf("default profile: %s", conn)
	}
	// Environment over profile.
	env := fakeEnv{"TEMPORAL_CONFIG_FILE": file, "TEMPORAL_PROFILE": "prod", "TEMPORAL_NAMESPACE": "dr-env", "TEMPORAL_TLS_SERVER_NAME": "env.example"}
	conn = load(t, parse(t, env))
	if conn.Options.HostPort != "prod.example:7233" || conn.Options.Namespace != "dr-env" || conn.Options.ConnectionOptions.TLS.ServerName != "env.example" {
		t.Fatalf("env over profile: %s", conn)
	}
	// Flags over environment, including --profile over TEMPORAL_PROFILE and --tls=false over everything.
	conn = load(t, parse(t, env, "--namespace", "dr-flag", "--address", "flag:7233"))
	if conn.Options.HostPort != "flag:7233" || conn.Options.Namespace != "dr-flag" || !conn.TLS {
		t.Fatalf("flags over env: %s", conn)
	}
	conn = load(t, parse(t, env, "--profile", "default"))
	if conn.Options.HostPort != "default-profile:7233" || conn.Options.Namespace != "dr-env" {
		t.Fatalf("--profile over TEMPORAL_PROFILE: %s", conn)
	}
	conn = load(t, parse(t, fakeEnv{"TEMPORAL_CONFIG_FILE": file, "TEMPORAL_PROFILE": "prod", "TEMPORAL_TLS": "true"}, "--tls=false"))
	if conn.TLS || !conn.Options.ConnectionOptions.TLSDisabled {
		t.Fatalf("--tls=false: %s", conn)
	}
	// An empty variable is unset (compose passes ${VAR:-}), not an override that erases the profile.
	conn = load(t, parse(t, fakeEnv{"TEMPORAL_CONFIG_FILE": file, "TEMPORAL_PROFILE": "prod", "TEMPORAL_ADDRESS": ""}))
	if conn.Options.HostPort != "prod.example:7233" {
		t.Fatalf("empty TEMPORAL_ADDRESS: %s", conn)
	}
	// --disable-config-env and --disable-config-file, as in the CLI.
	conn = load(t, parse(t, env, "--disable-config-env"))
	if conn.Options.Namespace != "dr-prod" {
		t.Fatalf("--disable-config-env: %s", conn)
	}
	conn = load(t, parse(t, env, "--disable-config-file"))
	if conn.Options.HostPort != DefaultAddress || conn.Options.Namespace != "dr-env" {
		t.Fatalf("--disable-config-file: %s", conn)
	}
	// An API key turns TLS on, as in the CLI and Temporal Cloud.
	conn = load(t, parse(t, noFile(fakeEnv{"TEMPORAL_API_KEY": "k-123"})))
	if !conn.TLS || conn.APIKey != "TEMPORAL_API_KEY" || conn.Options.Credentials == nil {
		t.Fatalf("API key: %s", conn)
	}
}

func TestBadSettingsAreRefusedNamingTheSetting(t *testing.T) {
	ca := testcerts.NewCA(t, "bad")
	client := ca.Client("client", "worker")
	missing := filepath.Join(t.TempDir(), "missing.pem")
	dir := t.TempDir()
	garbage := writeFile(t, "garbage.pem", "not a certificate")
	profile := writeFile(t, "temporal.toml", fmt.Sprintf("[profile.p.tls]\nclient_cert_path = %q\nclient_key_path = %q\n", missing, client.KeyFile))
	for _, tc := range []struct {
		name string
		env  fakeEnv
		args []string
		want []string
	}{
		{"env cert missing", noFile(fakeEnv{"TEMPORAL_TLS_CLIENT_CERT_PATH": missing, "TEMPORAL_TLS_CLIENT_KEY_PATH": client.KeyFile}), nil,
			[]string{"TEMPORAL_TLS_CLIENT_CERT_PATH", missing, "no such file"}},
		{"flag key is a directory", noFile(fakeEnv{}), []string{"--tls-cert-path", client.CertFile, "--tls-key-path", dir},
			[]string{"--tls-key-path", dir, "is a directory"}},
		{"profile cert missing", fakeEnv{"TEMPORAL_CONFIG_FILE": profile, "TEMPORAL_PROFILE": "p"}, nil,
			[]string{"tls.client_cert_path of profile \"p\" in " + profile, missing}},
		{"env CA unreadable", noFile(fakeEnv{"TEMPORAL_TLS_SERVER_CA_CERT_PATH": missing}), nil,
			[]string{"TEMPORAL_TLS_SERVER_CA_CERT_PATH", missing}},
		{"env CA not PEM", noFile(fakeEnv{"TEMPORAL_TLS_SERVER_CA_CERT_PATH": garbage}), nil,
			[]string{"TEMPORAL_TLS_SERVER_CA_CERT_PATH " + garbage, "no PEM certificate"}},
		{"cert without key", noFile(fakeEnv{"TEMPORAL_TLS_CLIENT_CERT_PATH": client.CertFile}), nil,
			[]string{"TEMPORAL_TLS_CLIENT_CERT_PATH", "no key", "TEMPORAL_TLS_CLIENT_KEY_PATH"}},
		{"key that is not a key", noFile(fakeEnv{"TEMPORAL_TLS_CLIENT_CERT_PATH": client.CertFile, "TEMPORAL_TLS_CLIENT_KEY_DATA": "-----BEGIN PRIVATE KEY-----\nc2VjcmV0LWtleS1tYXRlcmlhbA==\n-----END PRIVATE KEY-----\n"}), nil,
			[]string{"TEMPORAL_TLS_CLIENT_KEY_DATA", "client certificate"}},
		{"config file missing with a profile", fakeEnv{"TEMPORAL_CONFIG_FILE": missing, "TEMPORAL_PROFILE": "prod"}, nil,
			[]string{`TEMPORAL_PROFILE "prod"`, "TEMPORAL_CONFIG_FILE " + missing + " does not exist"}},
		{"config file is a directory", fakeEnv{"TEMPORAL_CONFIG_FILE": dir}, nil, []string{"TEMPORAL_CONFIG_FILE " + dir}},
		{"config file not TOML", fakeEnv{"TEMPORAL_CONFIG_FILE": garbage}, nil, []string{"TEMPORAL_CONFIG_FILE " + garbage, "not a temporal CLI config file"}},
		{"profile missing", fakeEnv{"TEMPORAL_CONFIG_FILE": profile}, []string{"--profile", "staging"}, []string{`--profile "staging"`, "it has: p"}},
		{"grpc meta", noFile(fakeEnv{}), []string{"--grpc-meta", "novalue"}, []string{"--grpc-meta"}},
	} {
		_, err := parse(t, tc.env, tc.args...).Load()
		if err == nil {
			t.Errorf("%s: loaded", tc.name)
			continue
		}
		if !IsSettingError(err) {
			t.Errorf("%s: %T is not a SettingError: %v", tc.name, err, err)
		}
		for _, w := range tc.want {
			if !strings.Contains(err.Error(), w) {
				t.Errorf("%s: %q lacks %q", tc.name, err, w)
			}
		}
		if strings.Contains(err.Error(), "c2VjcmV0") {
			t.Errorf("%s: the message shows key material: %v", tc.name, err)
		}
	}
}

func TestSecretsAreNeverShown(t *testing.T) {
	ca := testcerts.NewCA(t, "secret")
	client := ca.Client("client", "worker")
	const apiKey = "tmprl-super-secret-api-key"
	keyMarker := string(client.KeyPEM[40:80])
	c := parse(t, noFile(fakeEnv{"TEMPORAL_API_KEY": apiKey}), "--api-key", apiKey, "--tls-cert-data", string(client.CertPEM),
		"--tls-key-data", string(client.KeyPEM), "--grpc-meta", "authorization=Bearer "+apiKey)
	conn := load(t, c)

	var logged bytes.Buffer
	z := zap.New(zapcore.NewCore(zapcore.NewJSONEncoder(zap.NewProductionEncoderConfig()), zapcore.AddSync(&logged), zap.DebugLevel))
	z.Info("connecting", zap.Any("config", c), zap.Any("conn", conn), zap.Stringer("temporal", conn))
	shown := strings.Join([]string{fmt.Sprint(c), fmt.Sprintf("%+v", c), fmt.Sprintf("%#v", c), conn.String(), fmt.Sprintf("%v", conn), logged.String()}, "\n")
	for _, secret := range []string{apiKey, keyMarker} {
		if strings.Contains(shown, secret) {
			t.Fatalf("a secret is shown:\n%s", shown)
		}
	}
	if !strings.Contains(conn.String(), "API key from --api-key") || !strings.Contains(conn.String(), "mTLS") {
		t.Fatalf("the description should say where the key comes from and that mTLS is on: %s", conn)
	}
}

func TestConnectionFlagsAreKnownForSplitting(t *testing.T) {
	fs := flag.NewFlagSet("x", flag.ContinueOnError)
	Flags(fs)
	n := 0
	fs.VisitAll(func(f *flag.Flag) {
		n++
		known, boolean := IsFlag(f.Name)
		bf, isBool := f.Value.(interface{ IsBoolFlag() bool })
		if !known || boolean != (isBool && bf.IsBoolFlag()) {
			t.Errorf("flag --%s: known %v boolean %v", f.Name, known, boolean)
		}
	})
	if n != len(connFlags) {
		t.Errorf("%d flags registered, %d listed", n, len(connFlags))
	}
}
