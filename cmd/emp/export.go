package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/emedpractice/emp/internal/bulk"
	"github.com/emedpractice/emp/internal/server"
)

// runExport runs a system-level bulk export straight into a directory, from
// the database, without a server: NDJSON files per type and manifest.json.
func runExport(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	fs := newFlagSet("export", getenv, stderr)
	sf := addServerFlags(fs)
	types := fs.String("type", "", "comma-separated resource types (default: every type)")
	since := fs.String("since", "", "only resources changed after this instant (e.g. 2026-01-01T00:00:00Z)")
	elements := fs.String("elements", "", "comma-separated elements to keep (_elements)")
	out := fs.String("out", "", "directory to write the files into (required)")
	var typeFilters stringList
	fs.Var(&typeFilters, "type-filter", `a _typeFilter query such as "Observation?category=laboratory" (repeatable)`)
	if err := fs.parse(args); err != nil {
		return err
	}
	if *out == "" {
		return errors.New("--out is required")
	}
	opt := bulk.ExportOptions{Types: splitComma(*types), Elements: splitComma(*elements), TypeFilters: typeFilters}
	if *since != "" {
		t, err := time.Parse(time.RFC3339Nano, *since)
		if err != nil {
			if t, err = time.Parse("2006-01-02", *since); err != nil {
				return fmt.Errorf("--since: want an instant such as 2026-01-01T00:00:00Z, got %q", *since)
			}
		}
		opt.Since = t
	}
	// An export only reads: it may run against a hot standby.
	db, err := server.OpenReadOnly(ctx, sf.config())
	if err != nil {
		return err
	}
	defer db.Close()
	start := time.Now()
	bar := isTerminal(stderr)
	m, err := bulk.RunExport(ctx, db.Store, opt, *out, func(p bulk.Progress) {
		if bar {
			fmt.Fprintf(stderr, "\r%s %d/%d %-20s %d resources", progressBar(p.Task, p.Tasks, 30), p.Task, p.Tasks, p.Type, p.Resources)
		}
	})
	if bar {
		fmt.Fprintln(stderr)
	}
	if err != nil {
		return err
	}
	var total int64
	for _, f := range m.Output {
		total += f.Count
	}
	fmt.Fprintf(stdout, "exported %d resources in %d files to %s in %s (manifest.json)\n", total, len(m.Output), *out,
		time.Since(start).Round(time.Millisecond))
	return nil
}

func splitComma(s string) []string {
	var out []string
	for _, x := range strings.Split(s, ",") {
		if x = strings.TrimSpace(x); x != "" {
			out = append(out, x)
		}
	}
	return out
}

// isTerminal reports whether w is a terminal, where a progress bar helps
// rather than fills a log.
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}

func progressBar(done, total, width int) string {
	if total <= 0 {
		total = 1
	}
	n := min(done*width/total, width)
	return "[" + strings.Repeat("#", n) + strings.Repeat(".", width-n) + "]"
}
