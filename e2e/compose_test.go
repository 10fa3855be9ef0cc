package e2e

import (
	"bytes"
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"go.temporal.io/sdk/client"
	"go.yaml.in/yaml/v3"

	"github.com/roadcall/dr/internal/starter"
	"github.com/roadcall/dr/internal/temporalclient"
	"github.com/roadcall/dr/internal/testenv"
)

// TestDockerComposeParses checks docker-compose.yml without a Docker engine: it parses, it has the
// services the README promises, the worker finds Temporal and AWS the documented way, and the files the
// containers use exist in the repository.
func TestDockerComposeParses(t *testing.T) {
	root := testenv.ModuleRoot(t)
	b, err := os.ReadFile(filepath.Join(root, "docker-compose.yml"))
	if err != nil {
		t.Fatal(err)
	}
	type service struct {
		Image       string            `yaml:"image"`
		Build       any               `yaml:"build"`
		Command     []string          `yaml:"command"`
		Entrypoint  []string          `yaml:"entrypoint"`
		Volumes     []string          `yaml:"volumes"`
		DependsOn   yaml.Node         `yaml:"depends_on"`
		Environment map[string]string `yaml:"environment"`
		NetworkMode string            `yaml:"network_mode"`
		Ports       []string          `yaml:"ports"`
	}
	var doc struct {
		Services map[string]service `yaml:"services"`
	}
	if err := yaml.Unmarshal(b, &doc); err != nil {
		t.Fatalf("docker-compose.yml: %v", err)
	}
	for _, name := range []string{"postgresql", "temporal-schema", "temporal", "temporal-namespace", "temporal-ui", "worker", "awssim"} {
		if _, ok := doc.Services[name]; !ok {
			t.Errorf("docker-compose.yml has no %s service", name)
		}
	}
	tmp := doc.Services["temporal"]
	if tmp.Environment["DB"] != "postgres12" || tmp.Environment["POSTGRES_SEEDS"] != "postgresql" {
		t.Errorf("temporal should run on the postgresql service: %v", tmp.Environment)
	}
	w := doc.Services["worker"]
	for _, k := range []string{"TEMPORAL_ADDRESS", "AWS_ENDPOINT_URL", "AWS_REGION", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"} {
		if w.Environment[k] == "" {
			t.Errorf("worker lacks %s", k)
		}
	}
	if w.NetworkMode != "service:awssim" || !strings.HasPrefix(w.Environment["AWS_ENDPOINT_URL"], "http://127.0.0.1:4566") {
		t.Errorf("worker must share awssim's network to reach it at 127.0.0.1:4566 (network_mode %q, endpoint %q)", w.NetworkMode, w.Environment["AWS_ENDPOINT_URL"])
	}
	sim := doc.Services["awssim"]
	i := slices.Index(sim.Command, "--topology")
	if i < 0 || i+1 >= len(sim.Command) || !slices.Contains(sim.Command, "--listen") {
		t.Fatalf("awssim command should give --listen and --topology: %v", sim.Command)
	}
	// The image copies examples/ to /app/examples/.
	if _, err := os.Stat(filepath.Join(root, strings.TrimPrefix(sim.Command[i+1], "/app/"))); err != nil {
		t.Errorf("awssim's topology %s is not in the repository: %v", sim.Command[i+1], err)
	}
	df, err := os.ReadFile(filepath.Join(root, "Dockerfile"))
	if err != nil {
		t.Fatalf("the services build from the Dockerfile: %v", err)
	}
	for _, s := range []string{"./worker", "./starter", "./awssim", "COPY examples/"} {
		if !strings.Contains(string(df), s) {
			t.Errorf("Dockerfile does not build or copy %s", s)
		}
	}
	for name, s := range doc.Services {
		if s.Build != nil && len(s.Command) > 0 && !strings.HasPrefix(s.Command[0], "/app/") {
			t.Errorf("service %s runs %s, not one of the image's /app binaries", name, s.Command[0])
		}
	}
	checkComposeTemporal(t, doc.Services["temporal-schema"].Image, doc.Services["temporal"].Image)
	mounted := map[string]string{}
	for name, s := range doc.Services {
		checkComposeImage(t, name, s.Image)
		for _, v := range s.Volumes {
			host, target, ok := strings.Cut(v, ":")
			if !ok || !strings.HasPrefix(host, "./") {
				continue
			}
			target, _, _ = strings.Cut(target, ":")
			if _, err := os.Stat(filepath.Join(root, host)); err != nil {
				t.Errorf("service %s mounts %s, which is not in the repository", name, host)
			}
			mounted[name+" "+target] = filepath.Join(root, host)
		}
	}
	// The admin-tools services run a script of ours through the image's shell: it must be mounted where
	// the command looks, and be valid sh.
	for _, name := range []string{"temporal-schema", "temporal-namespace"} {
		s := doc.Services[name]
		if !slices.Equal(s.Entrypoint, []string{"/bin/sh"}) || len(s.Command) != 1 {
			t.Errorf("%s should run one script with /bin/sh: entrypoint %v command %v", name, s.Entrypoint, s.Command)
			continue
		}
		script, ok := mounted[name+" "+s.Command[0]]
		if !ok {
			t.Errorf("%s runs %s, which no volume mounts", name, s.Command[0])
			continue
		}
		if out, err := exec.Command("sh", "-n", script).CombinedOutput(); err != nil {
			t.Errorf("%s: sh -n: %v\n%s", script, err, out)
		}
	}
	schema, _ := os.ReadFile(mounted["temporal-schema /scripts/setup-postgres.sh"])
	for _, want := range []string{"temporal-sql-tool --plugin postgres12", "create", "setup-schema -v 0.0", "update-schema",
		"/etc/temporal/schema/postgresql/v12/$db/versioned", "temporal_visibility"} {
		if !strings.Contains(string(schema), want) {
			t.Errorf("the schema script lacks %q", want)
		}
	}
	tmpEnv := doc.Services["temporal"].Environment
	if dc := tmpEnv["DYNAMIC_CONFIG_FILE_PATH"]; mounted["temporal /etc/temporal/"+dc] == "" {
		t.Errorf("temporal's DYNAMIC_CONFIG_FILE_PATH %s (relative to /etc/temporal) is not a mounted file", dc)
	}
	if !dependsOn(doc.Services["temporal"].DependsOn, "temporal-schema", "service_completed_successfully") {
		t.Errorf("temporal must start only after the schema setup completed")
	}
	if !dependsOn(doc.Services["dr-setup"].DependsOn, "temporal-namespace", "service_completed_successfully") {
		t.Errorf("dr-setup registers search attributes in the namespace temporal-namespace creates; it must wait for it")
	}

	// Every starter command compose runs exists, with the flags it is given.
	for name, s := range doc.Services {
		if len(s.Command) > 1 && s.Command[0] == "/app/starter" {
			checkStarterCommand(t, name, s.Command[1:])
		}
	}
	// The codec server and the worker read the same mounted key file, which holds keys; the UI calls the
	// codec server where the host publishes it, and the codec server allows the UI's published origin.
	codec, ok := doc.Services["codec-server"]
	if !ok || len(codec.Command) < 2 || codec.Command[1] != "codec-server" {
		t.Fatalf("docker-compose.yml has no codec-server service running starter codec-server: %v", codec.Command)
	}
	keyFile := codec.Environment[temporalclient.EnvCodecKeyFile]
	if keyFile == "" || w.Environment[temporalclient.EnvCodecKeyFile] != keyFile {
		t.Errorf("the worker (%q) and the codec server (%q) must read the same %s", w.Environment[temporalclient.EnvCodecKeyFile], keyFile, temporalclient.EnvCodecKeyFile)
	}
	for _, svc := range []string{"codec-server", "worker"} {
		host := ""
		for m, dir := range mounted {
			prefix := svc + " "
			if target, ok := strings.CutPrefix(m, prefix); ok && strings.HasPrefix(keyFile, strings.TrimSuffix(target, "/")+"/") {
				host = filepath.Join(dir, strings.TrimPrefix(keyFile, target))
			}
		}
		b, err := os.ReadFile(host)
		if err != nil {
			t.Errorf("%s: %s %s is not a mounted repository file (%v)", svc, temporalclient.EnvCodecKeyFile, keyFile, err)
			continue
		}
		if _, err := temporalclient.ParseCodecKeys(keyFile, string(b)); err != nil {
			t.Errorf("%s: %v", svc, err)
		}
	}
	listen := flagValue(codec.Command, "--listen")
	_, port, _ := strings.Cut(listen, ":")
	uiEndpoint := doc.Services["temporal-ui"].Environment["TEMPORAL_CODEC_ENDPOINT"]
	if port == "" || !slices.Contains(codec.Ports, port+":"+port) || uiEndpoint != "http://localhost:"+port {
		t.Errorf("the UI's TEMPORAL_CODEC_ENDPOINT %q must be the codec server's published --listen %q (ports %v)", uiEndpoint, listen, codec.Ports)
	}
	uiPort, _, _ := strings.Cut(doc.Services["temporal-ui"].Ports[0], ":")
	if origin := flagValue(codec.Command, "--ui-origin"); origin != "http://localhost:"+uiPort {
		t.Errorf("codec server --ui-origin %q: the UI is published at http://localhost:%s", origin, uiPort)
	}
}

// checkStarterCommand runs `starter ARGS --help`: exit 0 only when the command exists and takes every
// flag ARGS gives (an unknown flag is exit 2).
func checkStarterCommand(t *testing.T, service string, args []string) {
	t.Helper()
	var out bytes.Buffer
	e := starter.DefaultEnv()
	e.Out, e.Err = &out, &out
	e.Dial = func(context.Context, temporalclient.Config) (client.Client, error) {
		return nil, errors.New("--help must not dial")
	}
	if code := starter.Main(context.Background(), append(slices.Clone(args), "--help"), e); code != starter.ExitOK {
		t.Errorf("service %s runs starter %v, which the starter refuses (exit %d):\n%s", service, args, code, out.String())
	}
}

func flagValue(args []string, name string) string {
	if i := slices.Index(args, name); i >= 0 && i+1 < len(args) {
		return args[i+1]
	}
	return ""
}

// composeImages are the repositories compose may pull, with the tag each must have: an image not listed
// here, or an unpinned one, has not been checked to exist.
var composeImages = map[string]string{
	"postgres":          "16",
	"temporalio/ui":     "2.42.1",
	"roadcall-dr":       "local",
	"temporalio/server": "", "temporalio/admin-tools": "", // the server version: checkComposeTemporal
}

func checkComposeImage(t *testing.T, service, image string) {
	t.Helper()
	repo, tag, ok := strings.Cut(image, ":")
	want, known := composeImages[repo]
	switch {
	case image == "":
		t.Errorf("service %s has no image", service)
	case strings.Contains(image, "auto-setup"):
		t.Errorf("service %s uses %s: Temporal has deprecated auto-setup", service, image)
	case !known:
		t.Errorf("service %s uses %s, which this test does not know to exist", service, image)
	case !ok || tag == "latest" || (want != "" && tag != want):
		t.Errorf("service %s: %s should be pinned to %s:%s", service, image, repo, want)
	}
}

// checkComposeTemporal ties the server and admin-tools images to the server release the tests run: the
// temporal CLI's dev server says which it embeds, Temporal publishes both images for every release, and
// the schema the admin-tools image sets up belongs to its own release.
func checkComposeTemporal(t *testing.T, adminTools, server string) {
	t.Helper()
	out, err := exec.Command(testenv.TemporalBinary(t), "--version").Output()
	if err != nil {
		t.Fatalf("temporal --version: %v", err)
	}
	m := regexp.MustCompile(`Server (\d+\.\d+\.\d+)`).FindStringSubmatch(string(out))
	if m == nil {
		t.Fatalf("temporal --version does not name its server: %s", out)
	}
	if server != "temporalio/server:"+m[1] || adminTools != "temporalio/admin-tools:"+m[1] {
		t.Errorf("compose runs %s with %s; the tests run server %s: use temporalio/server:%[3]s and temporalio/admin-tools:%[3]s", server, adminTools, m[1])
	}
}

// dependsOn reports whether a depends_on block (list or map form) waits for service in condition.
func dependsOn(n yaml.Node, service, condition string) bool {
	var long map[string]struct {
		Condition string `yaml:"condition"`
	}
	if err := n.Decode(&long); err != nil {
		return false
	}
	d, ok := long[service]
	return ok && d.Condition == condition
}
