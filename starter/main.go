// Command starter starts and steers the DR workflows: readiness checks, schedules, status, approvals and
// operator decisions. Run it without arguments for the list of commands.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"

	"github.com/roadcall/dr/internal/starter"
)

func main() {
	ctx, cancel := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := starter.Main(ctx, os.Args[1:], starter.DefaultEnv())
	cancel()
	os.Exit(code)
}
