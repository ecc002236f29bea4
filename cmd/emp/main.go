// Command emp is the eMedicalPractice server: a FHIR R4 store with a SMART on
// FHIR authorization server, the standard JSON API and bulk export. main only
// wires the process to run, which tests call directly.
package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Getenv, os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "emp:", err)
		os.Exit(1)
	}
}
