package main

import (
	"context"
	"fmt"
	"io"
	"path/filepath"
	"text/tabwriter"
	"time"

	"github.com/emedpractice/emp/internal/server"
	"github.com/emedpractice/emp/internal/store"
)

// runAudit lists the audit log, newest first: every access to patient data
// and every write, on every face; "emp audit archive" and "emp audit
// restore" move whole months out of the database and back.
func runAudit(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	if len(args) > 0 {
		switch args[0] {
		case "archive":
			return runAuditArchive(ctx, args[1:], getenv, stdout, stderr)
		case "restore":
			return runAuditRestore(ctx, args[1:], getenv, stdout, stderr)
		}
	}
	fs := newFlagSet("audit", getenv, stderr)
	sf := addServerFlags(fs)
	user := fs.String("user", "", "only this actor (token subject)")
	client := fs.String("client", "", "only this client id")
	patient := fs.String("patient", "", "only rows touching this patient")
	path := fs.String("path", "", "only request paths starting with this")
	status := fs.Int("status", 0, "only this HTTP status")
	since := fs.String("since", "", "only rows at or after this time (RFC 3339 or YYYY-MM-DD)")
	limit := fs.Int("limit", 50, "at most this many rows (up to 1000)")
	ndjson := fs.Bool("ndjson", false, "one JSON object per line, every field (the format of the archive files), instead of a table")
	if err := fs.parse(args); err != nil {
		return err
	}
	f := store.AuditFilter{Actor: *user, ClientID: *client, Patient: *patient, PathPrefix: *path, Status: *status, Limit: *limit}
	if *limit < 1 || *limit > 1000 {
		return fmt.Errorf("--limit must be between 1 and 1000")
	}
	if *since != "" {
		t, err := time.Parse(time.RFC3339, *since)
		if err != nil {
			if t, err = time.Parse("2006-01-02", *since); err != nil {
				return fmt.Errorf("--since: want RFC 3339 or YYYY-MM-DD, got %q", *since)
			}
		}
		f.Since = t
	}
	// The audit listing only reads: it may run against a hot standby.
	db, err := server.OpenReadOnly(ctx, sf.config())
	if err != nil {
		return err
	}
	defer db.Close()
	rows, err := db.Store.ListAudit(ctx, f)
	if err != nil {
		return err
	}
	if *ndjson {
		for _, e := range rows {
			if err := store.WriteAuditNDJSON(stdout, e); err != nil {
				return err
			}
		}
		return nil
	}
	tw := tabwriter.NewWriter(stdout, 2, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "TIME\tACTOR\tCLIENT\tPATIENT\tACTION\tMETHOD\tPATH\tSTATUS")
	for _, e := range rows {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%d\n", e.At.UTC().Format(time.RFC3339), e.Actor, e.ClientID, e.Patient,
			e.Action, e.Method, e.Path, e.Status)
	}
	return tw.Flush()
}

// addArchiveDirFlag is --audit-archive-dir, which emp serve and emp audit
// archive share (and so EMP_AUDIT_ARCHIVE_DIR).
func addArchiveDirFlag(fs *flagSet) *string {
	return fs.String("audit-archive-dir", "", "where whole months of the audit log are archived (NDJSON and a .sha256 beside each) before they are removed from the database; retention (audit_retention_months) does not run without it")
}

// runAuditArchive archives every whole month before --before and removes
// it from the database, as the retention does, by hand.
func runAuditArchive(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	fs := newFlagSet("audit archive", getenv, stderr)
	sf := addServerFlags(fs)
	dir := addArchiveDirFlag(fs)
	before := fs.String("before", "", "archive and remove the months before this one (YYYY-MM)")
	if err := fs.parse(args); err != nil {
		return err
	}
	month, err := time.Parse("2006-01", *before)
	if err != nil {
		return fmt.Errorf("--before: want a month as YYYY-MM, got %q", *before)
	}
	if *dir == "" {
		return fmt.Errorf("--audit-archive-dir is required: audit rows are removed only once they are archived")
	}
	app, err := openApp(ctx, sf)
	if err != nil {
		return err
	}
	defer app.Close()
	done, err := app.Store.ArchiveAudit(ctx, *dir, month)
	for _, a := range done {
		fmt.Fprintf(stdout, "%s: %d rows to %s (sha256 %s)\n", a.Month, a.Rows, filepath.Join(*dir, a.File), a.SHA256)
	}
	if err != nil {
		return err
	}
	if len(done) == 0 {
		fmt.Fprintf(stdout, "no audit rows before %s\n", *before)
	}
	return nil
}

// runAuditRestore loads archive files back into a database (one kept for
// an inquiry: see docs/operations.md).
func runAuditRestore(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	fs := newFlagSet("audit restore", getenv, stderr)
	sf := addServerFlags(fs)
	files, err := fs.parseArgs(args)
	if err != nil {
		return err
	}
	if len(files) == 0 {
		return fmt.Errorf("usage: emp audit restore [--db …] FILE.ndjson…")
	}
	app, err := openApp(ctx, sf)
	if err != nil {
		return err
	}
	defer app.Close()
	for _, f := range files {
		n, err := app.Store.RestoreAudit(ctx, f)
		if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "%s: %d rows restored\n", f, n)
	}
	return nil
}
