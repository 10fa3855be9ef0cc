//go:build unix && !linux

package testenv

import "syscall"

// procAttr puts a child in its own process group so Kill reaches everything it started.
func procAttr() *syscall.SysProcAttr { return &syscall.SysProcAttr{Setpgid: true} }

// killPort is Linux-only (it reads /proc); elsewhere a failed start may leave its server for the OS.
func killPort(bin, addr string) {}
