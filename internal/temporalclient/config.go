package temporalclient

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"flag"
	"fmt"
	"os"
	"slices"
	"strconv"
	"strings"

	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/contrib/envconfig"
	"go.uber.org/zap/zapcore"
)

// Config is what the command line says about Temporal: the temporal CLI's connection flags. An empty
// field (an unset OptBool) was not given, so the environment, then the profile, then the defaults decide
// it; Load resolves the four layers in that order, as the CLI does.
type Config struct {
	Address, Namespace string
	// APIKey is a secret: String, GoString and MarshalLogObject never show it.
	APIKey                     string
	Profile, ConfigFile        string
	DisableConfigFile          bool
	DisableConfigEnv           bool
	TLS                        OptBool
	TLSCertPath, TLSCertData   string
	TLSKeyPath, TLSKeyData     string
	TLSCAPath, TLSCAData       string
	TLSServerName              string
	TLSDisableHostVerification OptBool
	ClientAuthority            string
	// GRPCMeta are --grpc-meta KEY=VALUE headers.
	GRPCMeta []string
	// CodecKeyFile is --codec-key-file: the payload keys, over ROADCALL_CODEC_KEY_FILE and ROADCALL_CODEC_KEY.
	CodecKeyFile string
	// Env replaces the process environment, for tests; nil reads the process's.
	Env envconfig.EnvLookup
}

// OptBool is a boolean flag that knows whether it was given, so that --tls=false can override
// TEMPORAL_TLS=true while an absent --tls overrides nothing.
type OptBool struct{ Set, Value bool }

func (b *OptBool) String() string {
	if b == nil || !b.Set {
		return ""
	}
	return strconv.FormatBool(b.Value)
}

func (b *OptBool) parse(s string) error {
	v, err := strconv.ParseBool(s)
	if err != nil {
		return err
	}
	b.Set, b.Value = true, v
	return nil
}

// IsBoolFlag lets --tls stand alone, like the CLI's.
func (b *OptBool) IsBoolFlag() bool { return true }

// optBoolFlag adapts OptBool to flag.Value, whose method name collides with the field Set.
type optBoolFlag struct{ *OptBool }

func (f optBoolFlag) Set(s string) error { return f.parse(s) }

// connFlags are the connection flags and whether each stands alone (a boolean), for commands that
// accept them before their own name (starter --address X status ...).
var connFlags = map[string]bool{
	"address": false, "namespace": false, "api-key": false, "profile": false, "config-file": false,
	"disable-config-file": true, "disable-config-env": true, "tls": true, "tls-cert-path": false,
	"tls-cert-data": false, "tls-key-path": false, "tls-key-data": false, "tls-ca-path": false,
	"tls-ca-data": false, "tls-server-name": false, "tls-disable-host-verification": true,
	"client-authority": false, "grpc-meta": false, "codec-key-file": false,
}

// IsFlag says whether name (without dashes) is a connection flag and whether it takes no value.
func IsFlag(name string) (known, boolean bool) {
	boolean, known = connFlags[name]
	return known, boolean
}

type multiFlag struct{ v *[]string }

func (m multiFlag) String() string {
	if m.v == nil {
		return ""
	}
	return strings.Join(*m.v, ",")
}
func (m multiFlag) Set(s string) error { *m.v = append(*m.v, s); return nil }

// Flags registers the temporal CLI's connection flags, with the same names and meanings. They have no
// defaults of their own: a default here would hide the environment and the profile.
func Flags(fs *flag.FlagSet) *Config {
	c := &Config{}
	fs.StringVar(&c.Address, "address", "", "Temporal frontend host:port (env TEMPORAL_ADDRESS, then the profile; default "+DefaultAddress+")")
	fs.StringVar(&c.Namespace, "namespace", "", "Temporal namespace (env TEMPORAL_NAMESPACE, then the profile; default "+DefaultNamespace+")")
	fs.StringVar(&c.APIKey, "api-key", "", "API key, e.g. Temporal Cloud's; turns TLS on (env TEMPORAL_API_KEY; prefer the variable: flags show in ps)")
	fs.StringVar(&c.Profile, "profile", "", "profile in the config file (env TEMPORAL_PROFILE; default \"default\")")
	fs.StringVar(&c.ConfigFile, "config-file", "", "TOML config file, as the temporal CLI's (env TEMPORAL_CONFIG_FILE; default ~/.config/temporalio/temporal.toml)")
	fs.BoolVar(&c.DisableConfigFile, "disable-config-file", false, "ignore the config file")
	fs.BoolVar(&c.DisableConfigEnv, "disable-config-env", false, "ignore the TEMPORAL_* connection variables")
	fs.Var(optBoolFlag{&c.TLS}, "tls", "use TLS; on by default with an API key or any TLS setting, --tls=false turns it off (env TEMPORAL_TLS)")
	fs.StringVar(&c.TLSCertPath, "tls-cert-path", "", "client certificate for mTLS, PEM file (env TEMPORAL_TLS_CLIENT_CERT_PATH)")
	fs.StringVar(&c.TLSCertData, "tls-cert-data", "", "client certificate PEM itself (env TEMPORAL_TLS_CLIENT_CERT_DATA)")
	fs.StringVar(&c.TLSKeyPath, "tls-key-path", "", "client private key for mTLS, PEM file (env TEMPORAL_TLS_CLIENT_KEY_PATH)")
	fs.StringVar(&c.TLSKeyData, "tls-key-data", "", "client private key PEM itself (env TEMPORAL_TLS_CLIENT_KEY_DATA)")
	fs.StringVar(&c.TLSCAPath, "tls-ca-path", "", "CA that signs the server's certificate, PEM file (env TEMPORAL_TLS_SERVER_CA_CERT_PATH; default the system's)")
	fs.StringVar(&c.TLSCAData, "tls-ca-data", "", "server CA PEM itself (env TEMPORAL_TLS_SERVER_CA_CERT_DATA)")
	fs.StringVar(&c.TLSServerName, "tls-server-name", "", "name to expect in the server's certificate (env TEMPORAL_TLS_SERVER_NAME)")
	fs.Var(optBoolFlag{&c.TLSDisableHostVerification}, "tls-disable-host-verification", "do not verify the server's certificate (env TEMPORAL_TLS_DISABLE_HOST_VERIFICATION)")
	fs.StringVar(&c.ClientAuthority, "client-authority", "", "gRPC :authority header (env TEMPORAL_CLIENT_AUTHORITY)")
	fs.Var(multiFlag{&c.GRPCMeta}, "grpc-meta", "gRPC header KEY=VALUE, repeatable (env TEMPORAL_GRPC_META_<KEY>)")
	fs.StringVar(&c.CodecKeyFile, "codec-key-file", "", "payload encryption keys, one ID:BASE64 per line, newest first (env "+EnvCodecKeyFile+"; or the keys themselves in "+EnvCodecKey+")")
	return c
}

// Connection is a resolved Config: the SDK's options (without logger and data converter) and, for
// messages, where the settings came from. Its String never shows a secret.
type Connection struct {
	Options client.Options
	// Profile is "NAME in FILE" when a profile was read, else "".
	Profile string
	// TLS is whether the connection uses TLS; ClientCert says where the mTLS certificate comes from ("" none).
	TLS        bool
	ClientCert string
	// APIKey says where an API key comes from ("" none), never the key.
	APIKey string
	// Codec encrypts payloads when a key is configured; never nil after Load.
	Codec *Codec
}

// SettingError is a connection setting that cannot be used. It names the setting (the flag, the variable
// or the profile key) so an operator knows what to fix; nothing is dialed.
type SettingError struct{ Msg string }

func (e *SettingError) Error() string { return e.Msg }

// IsSettingError reports whether err is a bad connection setting rather than an unreachable server.
func IsSettingError(err error) bool {
	var se *SettingError
	return errors.As(err, &se)
}

func settingErr(format string, args ...any) error {
	return &SettingError{fmt.Sprintf(format, args...)}
}

// nonEmptyEnv treats a variable set to "" as unset, as envconfig's documentation says it does: compose
// files and CI systems pass empty variables, and an empty TEMPORAL_ADDRESS must not erase the profile's.
type nonEmptyEnv struct{ envconfig.EnvLookup }

func (e nonEmptyEnv) LookupEnv(k string) (string, bool) {
	v, ok := e.EnvLookup.LookupEnv(k)
	return v, ok && v != ""
}

// setting names one connection setting in each layer, for messages.
type setting struct{ flag, env, toml string }

var (
	sAddress   = setting{"address", "TEMPORAL_ADDRESS", "address"}
	sNamespace = setting{"namespace", "TEMPORAL_NAMESPACE", "namespace"}
	sAPIKey    = setting{"api-key", "TEMPORAL_API_KEY", "api_key"}
	sCertPath  = setting{"tls-cert-path", "TEMPORAL_TLS_CLIENT_CERT_PATH", "tls.client_cert_path"}
	sCertData  = setting{"tls-cert-data", "TEMPORAL_TLS_CLIENT_CERT_DATA", "tls.client_cert_data"}
	sKeyPath   = setting{"tls-key-path", "TEMPORAL_TLS_CLIENT_KEY_PATH", "tls.client_key_path"}
	sKeyData   = setting{"tls-key-data", "TEMPORAL_TLS_CLIENT_KEY_DATA", "tls.client_key_data"}
	sCAPath    = setting{"tls-ca-path", "TEMPORAL_TLS_SERVER_CA_CERT_PATH", "tls.server_ca_cert_path"}
	sCAData    = setting{"tls-ca-data", "TEMPORAL_TLS_SERVER_CA_CERT_DATA", "tls.server_ca_cert_data"}
)

// resolver remembers each layer so that a message can name the layer a value came from.
type resolver struct {
	c       Config
	env     envconfig.EnvLookup
	file    string // the config file read, "" none
	profile string
	// profileHad is whether the file holds the profile.
	profileHad bool
	fromFlag   map[string]bool
}

// source names where the winning value of s came from.
func (r *resolver) source(s setting) string {
	switch {
	case r.fromFlag[s.flag]:
		return "--" + s.flag
	case !r.c.DisableConfigEnv && r.envSet(s.env):
		return s.env
	case r.file != "":
		return fmt.Sprintf("%s of profile %q in %s", s.toml, r.profile, r.file)
	}
	return s.toml
}

func (r *resolver) envSet(k string) bool { _, ok := r.env.LookupEnv(k); return ok }

// Load resolves the connection: flags over TEMPORAL_* variables over the profile over the defaults. The
// certificates and keys are read and parsed here, so a bad one is refused before anything starts, with
// the setting that names it.
func (c Config) Load() (Connection, error) {
	base := c.Env
	if base == nil {
		base = envconfig.EnvLookupOS
	}
	r := &resolver{c: c, env: nonEmptyEnv{base}, fromFlag: map[string]bool{}}
	var prof envconfig.ClientConfigProfile
	if !c.DisableConfigFile {
		p, err := r.loadProfile()
		if err != nil {
			return Connection{}, err
		}
		prof = p
	}
	if !c.DisableConfigEnv {
		if err := prof.ApplyEnvVars(r.env); err != nil {
			return Connection{}, settingErr("TEMPORAL_* variables: %v", err)
		}
	}
	if err := r.applyFlags(&prof); err != nil {
		return Connection{}, err
	}
	if prof.Address == "" {
		prof.Address = DefaultAddress
	}
	if prof.Namespace == "" {
		prof.Namespace = DefaultNamespace
	}
	codec, err := c.Codec()
	if err != nil {
		return Connection{}, err
	}
	conn := Connection{Codec: codec}
	if r.profileHad {
		conn.Profile = fmt.Sprintf("%s in %s", r.profile, r.file)
	}
	if prof.APIKey != "" {
		conn.APIKey = r.source(sAPIKey)
	}
	if err := r.checkTLS(prof.TLS, &conn); err != nil {
		return Connection{}, err
	}
	opts, err := prof.ToClientOptions(envconfig.ToClientOptionsRequest{})
	if err != nil {
		return Connection{}, settingErr("Temporal connection settings: %v", err)
	}
	conn.Options = opts
	conn.TLS = opts.ConnectionOptions.TLS != nil && !opts.ConnectionOptions.TLSDisabled
	return conn, nil
}

func (r *resolver) loadProfile() (envconfig.ClientConfigProfile, error) {
	file := r.c.ConfigFile
	fileSetting := "--config-file"
	if file == "" {
		if v, ok := r.env.LookupEnv("TEMPORAL_CONFIG_FILE"); ok {
			file, fileSetting = v, "TEMPORAL_CONFIG_FILE"
		}
	}
	if file == "" {
		file, fileSetting = envconfig.DefaultConfigFilePath(), "the default config file"
	}
	r.profile = r.c.Profile
	profSetting := "--profile"
	if r.profile == "" {
		if v, ok := r.env.LookupEnv("TEMPORAL_PROFILE"); ok {
			r.profile, profSetting = v, "TEMPORAL_PROFILE"
		}
	}
	explicitProfile := r.profile != ""
	if !explicitProfile {
		r.profile = envconfig.DefaultConfigFileProfile
	}
	if file == "" {
		return envconfig.ClientConfigProfile{}, nil
	}
	b, err := os.ReadFile(file)
	switch {
	case err != nil && os.IsNotExist(err) && !explicitProfile:
		// The temporal CLI goes on without a missing file unless a profile in it was asked for.
		return envconfig.ClientConfigProfile{}, nil
	case err != nil && os.IsNotExist(err):
		return envconfig.ClientConfigProfile{}, settingErr("%s %q: %s %s does not exist", profSetting, r.profile, fileSetting, file)
	case err != nil:
		return envconfig.ClientConfigProfile{}, settingErr("%s %s: %v", fileSetting, file, err)
	}
	var cc envconfig.ClientConfig
	if err := cc.FromTOML(b, envconfig.ClientConfigFromTOMLOptions{}); err != nil {
		return envconfig.ClientConfigProfile{}, settingErr("%s %s: not a temporal CLI config file: %v", fileSetting, file, err)
	}
	r.file = file
	p := cc.Profiles[r.profile]
	if p == nil {
		if explicitProfile {
			return envconfig.ClientConfigProfile{}, settingErr("%s %q: no such profile in %s (it has: %s)", profSetting, r.profile, file, profileNames(cc))
		}
		return envconfig.ClientConfigProfile{}, nil
	}
	r.profileHad = true
	return *p, nil
}

func profileNames(cc envconfig.ClientConfig) string {
	var names []string
	for n := range cc.Profiles {
		names = append(names, n)
	}
	if len(names) == 0 {
		return "none"
	}
	slices.Sort(names)
	return strings.Join(names, ", ")
}

func (r *resolver) applyFlags(p *envconfig.ClientConfigProfile) error {
	c := r.c
	tlsOf := func() *envconfig.ClientConfigTLS {
		if p.TLS == nil {
			p.TLS = &envconfig.ClientConfigTLS{}
		}
		return p.TLS
	}
	str := func(name, v string, set func(string)) {
		if v != "" {
			r.fromFlag[name] = true
			set(v)
		}
	}
	str("address", c.Address, func(v string) { p.Address = v })
	str("namespace", c.Namespace, func(v string) { p.Namespace = v })
	str("api-key", c.APIKey, func(v string) { p.APIKey = v })
	str("client-authority", c.ClientAuthority, func(v string) { p.Authority = v })
	// A path and data for the same item are exclusive in envconfig; the flag replaces whichever the
	// lower layers gave.
	str("tls-cert-path", c.TLSCertPath, func(v string) { tlsOf().ClientCertPath, tlsOf().ClientCertData = v, nil })
	str("tls-cert-data", c.TLSCertData, func(v string) { tlsOf().ClientCertData, tlsOf().ClientCertPath = []byte(v), "" })
	str("tls-key-path", c.TLSKeyPath, func(v string) { tlsOf().ClientKeyPath, tlsOf().ClientKeyData = v, nil })
	str("tls-key-data", c.TLSKeyData, func(v string) { tlsOf().ClientKeyData, tlsOf().ClientKeyPath = []byte(v), "" })
	str("tls-ca-path", c.TLSCAPath, func(v string) { tlsOf().ServerCACertPath, tlsOf().ServerCACertData = v, nil })
	str("tls-ca-data", c.TLSCAData, func(v string) { tlsOf().ServerCACertData, tlsOf().ServerCACertPath = []byte(v), "" })
	str("tls-server-name", c.TLSServerName, func(v string) { tlsOf().ServerName = v })
	if c.TLS.Set {
		tlsOf().Disabled = !c.TLS.Value
	}
	if c.TLSDisableHostVerification.Set {
		tlsOf().DisableHostVerification = c.TLSDisableHostVerification.Value
	}
	for _, kv := range c.GRPCMeta {
		k, v, ok := strings.Cut(kv, "=")
		if !ok || k == "" {
			return settingErr("--grpc-meta %q: want KEY=VALUE", kv)
		}
		if p.GRPCMeta == nil {
			p.GRPCMeta = map[string]string{}
		}
		p.GRPCMeta[envconfig.NormalizeGRPCMetaKey(k)] = v
	}
	return nil
}

// checkTLS reads and parses every certificate and key the settings name, so the error names the setting
// (envconfig's says only "failed loading client cert/key path"). Key material never appears in a message.
func (r *resolver) checkTLS(t *envconfig.ClientConfigTLS, conn *Connection) error {
	if t == nil || t.Disabled {
		return nil
	}
	read := func(path string, data []byte, ps, ds setting) ([]byte, string, error) {
		switch {
		case path != "" && len(data) > 0:
			return nil, "", settingErr("%s and %s: give one of them, not both", r.source(ps), r.source(ds))
		case path != "":
			b, err := os.ReadFile(path)
			if err != nil {
				return nil, "", settingErr("%s: cannot read %s: %v", r.source(ps), path, unwrapPath(err))
			}
			return b, r.source(ps) + " " + path, nil
		case len(data) > 0:
			return data, r.source(ds), nil
		}
		return nil, "", nil
	}
	cert, certSrc, err := read(t.ClientCertPath, t.ClientCertData, sCertPath, sCertData)
	if err != nil {
		return err
	}
	key, keySrc, err := read(t.ClientKeyPath, t.ClientKeyData, sKeyPath, sKeyData)
	if err != nil {
		return err
	}
	switch {
	case cert != nil && key == nil:
		return settingErr("%s gives a client certificate but no key: set %s (or %s)", certSrc, sKeyPath.env, sKeyData.env)
	case key != nil && cert == nil:
		return settingErr("%s gives a client key but no certificate: set %s (or %s)", keySrc, sCertPath.env, sCertData.env)
	case cert != nil:
		if _, err := tls.X509KeyPair(cert, key); err != nil {
			// crypto/tls's messages describe the input's shape, never its bytes.
			return settingErr("client certificate (%s) and key (%s): %v", certSrc, keySrc, err)
		}
		conn.ClientCert = certSrc
	}
	ca, caSrc, err := read(t.ServerCACertPath, t.ServerCACertData, sCAPath, sCAData)
	if err != nil {
		return err
	}
	if ca != nil && !x509.NewCertPool().AppendCertsFromPEM(ca) {
		return settingErr("%s: no PEM certificate in it", caSrc)
	}
	return nil
}

// unwrapPath drops the *PathError's own copy of the path, which the message already names.
func unwrapPath(err error) error {
	var pe *os.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

// String describes the connection for logs and messages, without secrets.
func (c Connection) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s (namespace %s", c.Options.HostPort, c.Options.Namespace)
	if c.Profile != "" {
		fmt.Fprintf(&b, ", profile %s", c.Profile)
	}
	switch {
	case c.TLS && c.ClientCert != "":
		b.WriteString(", mTLS")
	case c.TLS:
		b.WriteString(", TLS")
	default:
		b.WriteString(", plaintext")
	}
	if c.APIKey != "" {
		fmt.Fprintf(&b, ", API key from %s", c.APIKey)
	}
	if c.Codec.Encrypts() {
		fmt.Fprintf(&b, ", payloads encrypted with key %s", c.Codec.KeyID())
	}
	b.WriteString(")")
	return b.String()
}

// MarshalLogObject keeps zap.Any from reflecting over the options, which hold the credentials.
func (c Connection) MarshalLogObject(enc zapcore.ObjectEncoder) error {
	enc.AddString("address", c.Options.HostPort)
	enc.AddString("namespace", c.Options.Namespace)
	enc.AddBool("tls", c.TLS)
	if c.ClientCert != "" {
		enc.AddString("clientCert", c.ClientCert)
	}
	if c.Profile != "" {
		enc.AddString("profile", c.Profile)
	}
	if c.APIKey != "" {
		enc.AddString("apiKey", "from "+c.APIKey)
	}
	if c.Codec.Encrypts() {
		enc.AddString("payloadKeyID", c.Codec.KeyID())
	}
	return nil
}

// String shows the flags given, with secrets redacted, so that printing a Config cannot leak them.
func (c Config) String() string {
	var parts []string
	add := func(name, v string) {
		if v != "" {
			parts = append(parts, "--"+name+"="+v)
		}
	}
	redacted := func(v string) string {
		if v == "" {
			return ""
		}
		return "<redacted>"
	}
	add("address", c.Address)
	add("namespace", c.Namespace)
	add("api-key", redacted(c.APIKey))
	add("profile", c.Profile)
	add("config-file", c.ConfigFile)
	add("tls", c.TLS.String())
	add("tls-cert-path", c.TLSCertPath)
	add("tls-cert-data", redacted(c.TLSCertData))
	add("tls-key-path", c.TLSKeyPath)
	add("tls-key-data", redacted(c.TLSKeyData))
	add("tls-ca-path", c.TLSCAPath)
	add("tls-ca-data", redacted(c.TLSCAData))
	add("tls-server-name", c.TLSServerName)
	add("tls-disable-host-verification", c.TLSDisableHostVerification.String())
	add("client-authority", c.ClientAuthority)
	add("codec-key-file", c.CodecKeyFile)
	if len(c.GRPCMeta) > 0 {
		// Headers often carry tokens.
		add("grpc-meta", fmt.Sprintf("<%d redacted>", len(c.GRPCMeta)))
	}
	return "temporal[" + strings.Join(parts, " ") + "]"
}

// GoString keeps %#v from printing the secret fields.
func (c Config) GoString() string { return c.String() }

// MarshalLogObject keeps zap.Any from reflecting over the secret fields.
func (c Config) MarshalLogObject(enc zapcore.ObjectEncoder) error {
	enc.AddString("flags", c.String())
	return nil
}

// ResolvedNamespace is the namespace Load settles on, for messages and requests that name it; a Config
// that does not load says what its flag says (Dial reports the error).
func (c Config) ResolvedNamespace() string {
	conn, err := c.Load()
	if err != nil {
		if c.Namespace != "" {
			return c.Namespace
		}
		return DefaultNamespace
	}
	return conn.Options.Namespace
}

// Codec resolves only the payload key settings (--codec-key-file, ROADCALL_CODEC_KEY_FILE,
// ROADCALL_CODEC_KEY), for commands that decode without dialing (replay of a file, the codec server).
func (c Config) Codec() (*Codec, error) {
	base := c.Env
	if base == nil {
		base = envconfig.EnvLookupOS
	}
	return loadCodec(nonEmptyEnv{base}, c.CodecKeyFile)
}
