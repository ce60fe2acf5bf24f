// pause is the process that holds a pod sandbox's namespaces open, built here because no registry
// is reachable for registry.k8s.io/pause. It does what the upstream one does: sleep until told to
// stop, and reap orphaned children when it runs as PID 1 of a shared PID namespace.
package main

import (
	"os"
	"os/signal"
	"syscall"
)

func main() {
	sigs := make(chan os.Signal, 8)
	signal.Notify(sigs, syscall.SIGINT, syscall.SIGTERM, syscall.SIGCHLD)
	for s := range sigs {
		if s == syscall.SIGCHLD {
			// Reap every exited child; WNOHANG so a signal for a child still running does not block.
			for {
				pid, err := syscall.Wait4(-1, nil, syscall.WNOHANG, nil)
				if pid <= 0 || err != nil {
					break
				}
			}
			continue
		}
		os.Exit(0)
	}
}
