// Command pause is the sandbox container of every pod in Hearth's local cluster, in
// place of Kubernetes' own pause image (nothing is pulled from a registry here). It holds
// the pod's namespaces open by sleeping, reaps the zombies re-parented to it (it is PID 1
// of a pod that shares its process namespace) and exits on SIGTERM or SIGINT, as the
// kubelet expects of a sandbox.
package main

import (
	"errors"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	// Buffered: signals coalesce anyway, and one SIGCHLD reaps every exited child.
	signals := make(chan os.Signal, 8)
	signal.Notify(signals, syscall.SIGTERM, syscall.SIGINT, syscall.SIGCHLD)
	for received := range signals {
		if received != syscall.SIGCHLD {
			os.Exit(0)
		}
		reapChildren()
	}
}

func reapChildren() {
	for {
		var status syscall.WaitStatus
		pid, err := syscall.Wait4(-1, &status, syscall.WNOHANG, nil)
		if errors.Is(err, syscall.EINTR) {
			continue
		}
		if pid <= 0 || err != nil {
			return
		}
	}
}
