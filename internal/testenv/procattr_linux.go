package testenv

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
)

// procAttr puts a child in its own process group (so Kill reaches everything it started) and has the
// kernel kill it if the test binary dies without running its cleanups (a test timeout panics).
func procAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
}

// killPort kills a dev server that StartDevServer started but gave up on: the SDK does not hand back its
// process, and a test must leave no process behind.
func killPort(bin, addr string) {
	_, port, _ := strings.Cut(addr, ":")
	entries, _ := os.ReadDir("/proc")
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		b, err := os.ReadFile(filepath.Join("/proc", e.Name(), "cmdline"))
		if err != nil {
			continue
		}
		args := strings.Split(strings.TrimRight(string(b), "\x00"), "\x00")
		if len(args) == 0 || args[0] != bin {
			continue
		}
		for i := 0; i+1 < len(args); i++ {
			if args[i] == "--port" && args[i+1] == port {
				_ = syscall.Kill(pid, syscall.SIGKILL)
			}
		}
	}
}
