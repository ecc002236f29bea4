package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/emedpractice/emp/internal/server"
)

// runToken mints an access token signed with the server's own key, for an
// operator who can already read the database. It prints only the token, so
// it composes: TOKEN=$(emp token --scope …).
func runToken(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	fs := newFlagSet("token", getenv, stderr)
	sf := addServerFlags(fs)
	scopes := fs.String("scope", "", `space-separated scopes, e.g. "user/*.rs" or "patient/*.rs"`)
	patient := fs.String("patient", "", "patient id of the token's context (patient/ scopes see only this patient)")
	ttl := fs.String("ttl", "10m", "lifetime of the token (at most 24h)")
	subject := fs.String("subject", "emp-operator", "the token's subject")
	client := fs.String("client", "emp-cli", "the token's client id")
	role := fs.String("role", "", "role: admin, clinician, front-office, patient or system (default from the scopes)")
	if err := fs.parse(args); err != nil {
		return err
	}
	if *scopes == "" {
		return errors.New("--scope is required")
	}
	d, err := time.ParseDuration(*ttl)
	if err != nil || d <= 0 || d > 24*time.Hour {
		return fmt.Errorf("--ttl must be a duration up to 24h, got %q", *ttl)
	}
	// Minting only reads the signing key: it may run against a hot standby.
	db, err := server.OpenReadOnly(ctx, sf.config())
	if err != nil {
		return err
	}
	defer db.Close()
	tok, err := db.MintToken(ctx, server.TokenRequest{Subject: *subject, ClientID: *client, Scope: *scopes, Patient: *patient, Role: *role, TTL: d})
	if err != nil {
		return err
	}
	fmt.Fprintln(stdout, tok)
	return nil
}
