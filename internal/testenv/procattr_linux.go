package testenv

import "syscall"

// procAttr puts a child in its own process group (so Kill reaches everything it started) and has the
// kernel kill it if the test binary dies without running its cleanups (a test timeout panics).
func procAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
}
