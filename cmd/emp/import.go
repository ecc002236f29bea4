package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"runtime/debug"
	"time"

	"github.com/emedpractice/emp/internal/fhirload"
)

// runImport loads files or folders of Bundles and NDJSON into the store,
// without a server (see package fhirload). It goes on past a file that
// fails, names it with the reason, and fails at the end if any did.
func runImport(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	fs := newFlagSet("import", getenv, stderr)
	sf := addServerFlags(fs)
	paths, err := fs.parseArgs(args)
	if err != nil {
		return err
	}
	if len(paths) == 0 {
		return errors.New("usage: emp import [--db …] PATH… (files or folders of Bundles and NDJSON)")
	}
	app, err := openApp(ctx, sf)
	if err != nil {
		return err
	}
	defer app.Close()
	if getenv("GOGC") == "" {
		debug.SetGCPercent(fhirload.GCPercent)
	}
	start := time.Now()
	bar := isTerminal(stdout)
	l := &fhirload.Loader{Store: app.Store}
	if bar {
		l.Progress = func(p fhirload.Progress) {
			elapsed := time.Since(start).Seconds()
			rate := float64(p.Resources) / max(elapsed, 0.001)
			left := "?"
			if p.Bytes > 0 && p.TotalBytes > p.Bytes {
				left = (time.Duration(elapsed*float64(p.TotalBytes-p.Bytes)/float64(p.Bytes)) * time.Second).Round(time.Second).String()
			} else if p.Bytes >= p.TotalBytes {
				left = "0s"
			}
			fmt.Fprintf(stdout, "\r%s %d/%d files  %d resources  %.0f/s  %s left   ",
				progressBar(p.Files, p.TotalFiles, 30), p.Files, p.TotalFiles, p.Resources, rate, left)
		}
	}
	sum, err := l.Load(ctx, paths)
	if bar {
		fmt.Fprintln(stdout)
	}
	if err != nil {
		return err
	}
	for _, f := range sum.Failed {
		fmt.Fprintf(stderr, "emp import: %s: %v\n", f.Path, f.Err)
	}
	elapsed := time.Since(start)
	fmt.Fprintf(stdout, "imported %d resources from %d files in %s (%.0f resources/s)",
		sum.Resources, sum.Files, elapsed.Round(time.Millisecond), float64(sum.Resources)/max(elapsed.Seconds(), 0.001))
	if sum.Kept > 0 {
		fmt.Fprintf(stdout, "; %d shared resources repeated with other content were kept as first loaded", sum.Kept)
	}
	if len(sum.Failed) > 0 {
		fmt.Fprintf(stdout, "; %d files failed", len(sum.Failed))
	}
	fmt.Fprintln(stdout)
	if len(sum.Failed) > 0 {
		return fmt.Errorf("%d of %d files failed", len(sum.Failed), len(sum.Failed)+sum.Files)
	}
	return nil
}
