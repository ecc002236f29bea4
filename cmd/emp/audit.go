package main

import (
	"context"
	"fmt"
	"io"
	"text/tabwriter"
	"time"

	"github.com/emedpractice/emp/internal/server"
	"github.com/emedpractice/emp/internal/store"
)

// runAudit lists the audit log, newest first: every access to patient data
// and every write, on every face.
func runAudit(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	fs := newFlagSet("audit", getenv, stderr)
	sf := addServerFlags(fs)
	user := fs.String("user", "", "only this actor (token subject)")
	client := fs.String("client", "", "only this client id")
	patient := fs.String("patient", "", "only rows touching this patient")
	path := fs.String("path", "", "only request paths starting with this")
	status := fs.Int("status", 0, "only this HTTP status")
	since := fs.String("since", "", "only rows at or after this time (RFC 3339 or YYYY-MM-DD)")
	limit := fs.Int("limit", 50, "at most this many rows (up to 1000)")
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
	tw := tabwriter.NewWriter(stdout, 2, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "TIME\tACTOR\tCLIENT\tPATIENT\tACTION\tMETHOD\tPATH\tSTATUS")
	for _, e := range rows {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%d\n", e.At.UTC().Format(time.RFC3339), e.Actor, e.ClientID, e.Patient,
			e.Action, e.Method, e.Path, e.Status)
	}
	return tw.Flush()
}
