//go:build unix && !linux

package testenv

import "syscall"

// procAttr puts a child in its own process group so Kill reaches everything it started.
func procAttr() *syscall.SysProcAttr { return &syscall.SysProcAttr{Setpgid: true} }
