package e2e

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"

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
	for _, name := range []string{"postgresql", "temporal", "temporal-ui", "worker", "awssim"} {
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
}
