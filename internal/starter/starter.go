// Package starter is the operator's command line: it starts the DR workflows, watches them, and answers
// their gates. starter/main.go only wires it up. Each scenario is one file here and one line in commands.
package starter

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/user"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"go.temporal.io/sdk/client"

	"github.com/roadcall/dr/internal/policy"
	"github.com/roadcall/dr/internal/temporalclient"
	"github.com/roadcall/dr/internal/topology"
	"github.com/roadcall/dr/workflows"
)

// Exit codes. Scripts and pagers can tell "nothing was started because the input is wrong" (2) from
// "the workflow refused the decision" (3) and from every other failure (1).
const (
	ExitOK       = 0
	ExitFailed   = 1
	ExitBadInput = 2
	ExitRefused  = 3
)

// command is one subcommand. run returns an *exitError for codes other than 1.
type command struct {
	name, usage, summary string
	run                  func(ctx context.Context, e *Env, args []string) error
}

// commands is the dispatcher: one line per subcommand. It is filled in init because the commands' flag
// sets read their usage lines from it.
var commands []command

func init() {
	commands = []command{
		{"readiness", "readiness --topology FILE [--wait=false]", "run the pre-disaster readiness check and print the report", readinessCmd},
		{"plan", "plan --topology FILE [--json]", "print the failover's dependency table: each call, where it is sent, control or data plane, and whether it needs the primary region", planCmd},
		{"iam-policy", "iam-policy --topology FILE", "print the worker's least-privilege IAM policy (JSON) for the topology's resources", iamPolicyCmd},
		{"failover", "failover --topology FILE [--auto-approve] [--follow] [--initiator WHO] [--detected-at RFC3339] [--monitor-window D]", "fail the platform over to its DR region (gate: failover)", failoverCmd},
		{"degradation", "degradation --topology FILE [--region R] [--auto-approve] [--follow] [--reserved-concurrency N] [--read-capacity N] [--write-capacity N]", "scale degraded functions and tables, watch recovery, revert (gates: plan, revert)", degradationCmd},
		{"corruption", "corruption --topology FILE --corruption-started-at RFC3339 [--tables a,b] [--skip-aurora] [--auto-approve] [--follow]", "stop writes, restore to a point in time, validate, cut over and resume", corruptionCmd},
		{"failback", "failback --topology FILE [--auto-approve] [--follow] [--restore-dr-mode STACK=VALUE,...]", "fail back to the primary region (refused when nothing failed over or the primary is unhealthy)", failbackCmd},
		{"watch", "watch --topology FILE [--every 30s] [--threshold 3] [--cooldown 1h]", "start the outage watch: it evaluates the primary region and, after a streak of failures, pages and starts the failover at its gate", outageCmd},
		{"drill", "drill --topology FILE [--auto-approve] [--force] [--mode auto|inject|planned]", "run a DR drill: readiness, outage, failover, checklist, failback, report", drillCmd},
		{"drills", "drills [--limit N]", "list past drills: date, outcome, RTO", drillsCmd},
		{"report", "report --workflow-id ID [--run-id R] [--out FILE]", "render a run's Post-Incident Review as Markdown from its history", reportCmd},
		{"replay", "replay --workflow-id ID [--run-id R] | --file history.json", "replay a history against this build and say whether it is deterministic", replayCmd},
		{"schedule", "schedule readiness --every 24h | schedule drill --cron EXPR [--topology FILE]", "create or update a Temporal Schedule (overlap: skip)", scheduleCmd},
		{"status", "status --workflow-id ID", "show a run's phase, steps, pending gate and paused steps", statusCmd},
		{"approve", "approve --workflow-id ID --gate NAME [--approver WHO] [--reject] [--comment TEXT] [--accept-data-loss] [--value V] [--print-token]", "approve or reject a pending gate, proven with your AWS credentials", approveCmd},
		{"operator", "operator --workflow-id ID --action retry|skip|abort [--step S] [--operator WHO]", "decide on a step paused in awaiting-operator", operatorCmd},
		{"codec-server", "codec-server --listen HOST:PORT [--ui-origin URL]", "serve Temporal's remote codec protocol with the payload keys, for temporal --codec-endpoint and the UI", codecServerCmd},
		{"setup", "setup", "register the DR search attributes on a Temporal cluster (idempotent)", setupCmd},
	}
}

// Env is what the commands need from the outside world; tests replace parts of it.
type Env struct {
	Out, Err io.Writer
	// Dial reaches Temporal; the default dials with temporalclient and a quiet logger.
	Dial func(ctx context.Context, cfg temporalclient.Config) (client.Client, error)
	// PollInterval is how often a watched run's status is queried.
	PollInterval time.Duration
	Now          func() time.Time
	// Policy is the worker's policy file the start commands check requests against (default
	// $ROADCALL_POLICY; empty leaves the check to the worker).
	Policy string
	// AWSConfig loads the operator's AWS configuration for identity tokens (default: the standard chain).
	AWSConfig func(ctx context.Context) (aws.Config, error)
}

// DefaultEnv writes to the terminal and dials the configured Temporal.
func DefaultEnv() *Env {
	return &Env{
		Out: os.Stdout, Err: os.Stderr, PollInterval: time.Second, Now: time.Now, Policy: os.Getenv(policy.EnvVar),
		Dial: func(ctx context.Context, cfg temporalclient.Config) (client.Client, error) {
			return temporalclient.Dial(ctx, cfg, nil)
		},
	}
}

// Main runs one command line and returns the process exit code.
func Main(ctx context.Context, args []string, e *Env) int {
	// Connection flags may come before the command name; the command's flag set parses them.
	if global, rest := splitGlobal(args); len(global) > 0 && len(rest) > 0 {
		args = append(append([]string{rest[0]}, global...), rest[1:]...)
	}
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		usage(e.Out)
		if len(args) == 0 {
			return ExitBadInput
		}
		return ExitOK
	}
	for _, c := range commands {
		if c.name != args[0] {
			continue
		}
		err := c.run(ctx, e, args[1:])
		if err == nil {
			return ExitOK
		}
		if errors.Is(err, flag.ErrHelp) {
			return ExitOK
		}
		var xe *exitError
		if errors.As(err, &xe) {
			fmt.Fprintf(e.Err, "%s: %v\n", xe.label(), xe.err)
			return xe.code
		}
		fmt.Fprintf(e.Err, "error: %v\n", err)
		return ExitFailed
	}
	fmt.Fprintf(e.Err, "unknown command %q\n\n", args[0])
	usage(e.Err)
	return ExitBadInput
}

func usage(w io.Writer) {
	fmt.Fprintln(w, "usage: starter [--address HOST:PORT] [--namespace NS] [other temporal CLI connection flags] COMMAND [flags]")
	fmt.Fprintln(w, "\nTemporal is reached as the temporal CLI reaches it: its connection flags (--address, --namespace, --api-key,")
	fmt.Fprintln(w, "--tls-*, --profile, --config-file), then TEMPORAL_* variables, then the profile in temporal.toml, then")
	fmt.Fprintln(w, "localhost:7233 and namespace default.")
	fmt.Fprintln(w, "\ncommands:")
	for _, c := range commands {
		fmt.Fprintf(w, "  %-10s %s\n             %s\n", c.name, c.summary, c.usage)
	}
	fmt.Fprintln(w, "\nexit codes: 0 ok, 1 failed, 2 bad input (nothing was started), 3 refused by the workflow")
}

type exitError struct {
	code int
	err  error
}

func (e *exitError) Error() string { return e.err.Error() }
func (e *exitError) Unwrap() error { return e.err }
func (e *exitError) label() string {
	switch e.code {
	case ExitBadInput:
		return "refused (nothing was started)"
	case ExitRefused:
		return "refused by the workflow"
	}
	return "failed"
}

func badInput(format string, args ...any) error {
	return &exitError{ExitBadInput, fmt.Errorf(format, args...)}
}

// failed exits 1 with a message, for outcomes that are not errors of the tool (e.g. failing checks).
func failed(format string, args ...any) error {
	return &exitError{ExitFailed, fmt.Errorf(format, args...)}
}

// flags is a subcommand's flag set with the Temporal connection flags on it, so they work after the
// subcommand name too.
type flags struct {
	*flag.FlagSet
	temporal *temporalclient.Config
}

func newFlags(e *Env, cmd string) *flags {
	fs := flag.NewFlagSet(cmd, flag.ContinueOnError)
	fs.SetOutput(e.Err)
	f := &flags{FlagSet: fs, temporal: temporalclient.Flags(fs)}
	for _, c := range commands {
		if c.name == cmd {
			fs.Usage = func() {
				fmt.Fprintf(e.Err, "usage: starter %s\n  %s\n\nflags:\n", c.usage, c.summary)
				fs.PrintDefaults()
			}
		}
	}
	return f
}

// parse parses args and refuses positional leftovers, which are almost always a mistyped flag.
func (f *flags) parse(args []string) error {
	if err := f.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return err
		}
		return badInput("%v", err)
	}
	if f.NArg() > 0 {
		return badInput("unexpected argument %q (flags are --name value)", f.Arg(0))
	}
	return nil
}

// require refuses empty required flags by name.
func require(pairs ...string) error {
	for i := 0; i+1 < len(pairs); i += 2 {
		if strings.TrimSpace(pairs[i+1]) == "" {
			return badInput("--%s is required", pairs[i])
		}
	}
	return nil
}

func (e *Env) dial(ctx context.Context, f *flags) (client.Client, error) {
	c, err := e.Dial(ctx, *f.temporal)
	if temporalclient.IsSettingError(err) {
		return nil, badInput("%v", err)
	}
	return c, err
}

// loadTopology loads and validates a topology; any problem is bad input, reported with the field.
func loadTopology(path string) (topology.Topology, error) {
	if strings.TrimSpace(path) == "" {
		return topology.Topology{}, badInput("--topology is required")
	}
	t, err := topology.Load(path)
	if err != nil {
		return topology.Topology{}, badInput("%v", err)
	}
	return t, nil
}

// startFlags are the flags of every command that starts a run: the platform and who starts it.
type startFlags struct{ topology, initiator *string }

func (f *flags) starting(initiatorHelp string) startFlags {
	return startFlags{
		topology:  f.String("topology", "", "topology file (JSON), e.g. examples/roadcall-local.json"),
		initiator: f.String("initiator", whoami(), initiatorHelp),
	}
}

// common loads the topology and builds the shared request part, running the same validation the workflow
// runs first, so a bad request never starts anything.
func (s startFlags) common() (topology.Topology, workflows.Common, error) {
	t, err := loadTopology(*s.topology)
	if err != nil {
		return t, workflows.Common{}, err
	}
	c := workflows.Common{Topology: t, Initiator: *s.initiator}
	if err := c.Prepare(); err != nil {
		return t, c, badInput("%v", err)
	}
	return t, c, nil
}

// whoami is the default initiator/approver: the login name, so the two-person rule has something to compare.
func whoami() string {
	if u, err := user.Current(); err == nil && u.Username != "" {
		return u.Username
	}
	return os.Getenv("USER")
}

// runID makes repeated runs of a scenario distinct while keeping them sortable and readable.
func (e *Env) runID(scenario string, t topology.Topology) string {
	return workflows.WorkflowID(scenario, t) + "-" + e.Now().UTC().Format("20060102T150405.000Z")
}

// splitGlobal separates leading connection flags (--address, --tls-ca-path...) from the command and its
// own flags.
func splitGlobal(args []string) (global, rest []string) {
	for i := 0; i < len(args); i++ {
		a := args[i]
		name, _, hasValue := strings.Cut(strings.TrimLeft(a, "-"), "=")
		known, boolean := temporalclient.IsFlag(name)
		if !strings.HasPrefix(a, "-") || !known {
			return global, args[i:]
		}
		global = append(global, a)
		if !hasValue && !boolean && i+1 < len(args) {
			global = append(global, args[i+1])
			i++
		}
	}
	return global, nil
}
