package server_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/emedpractice/emp/internal/errs"
	"github.com/emedpractice/emp/internal/server"
	"github.com/emedpractice/emp/internal/store"
	"github.com/emedpractice/emp/internal/store/storetest"
)

// TestAuditRetentionSetting: with audit_retention_months set and no archive
// directory the maintenance refuses, says why, and removes nothing; with a
// directory it archives the months older than the setting.
func TestAuditRetentionSetting(t *testing.T) {
	storetest.Each(t, func(t *testing.T, dialect string) {
		dsn := storetest.DSN(t, dialect)
		now := time.Date(2026, 1, 10, 0, 0, 0, 0, time.UTC)
		clock := func() time.Time { return now }
		open := func(dir string) *server.App {
			app, err := server.Open(context.Background(), server.Config{DB: dsn, BaseURL: "http://127.0.0.1:1", Now: clock, AuditArchiveDir: dir})
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { app.Close() })
			return app
		}
		app := open("")
		for _, at := range []time.Time{now, now.AddDate(0, 1, 0), now.AddDate(0, 2, 0)} {
			app.Store.RecordAccess(context.Background(), store.AuditEvent{At: at, Action: "read", Status: 200})
		}
		app.Store.FlushAudit()
		now = time.Date(2026, 4, 2, 0, 0, 0, 0, time.UTC)
		if p := app.AuditRetentionProblem(context.Background()); p != "" {
			t.Fatalf("problem with no retention set: %q", p)
		}
		if err := app.Store.SetSetting(context.Background(), server.SettingAuditRetention, "1"); err != nil {
			t.Fatal(err)
		}
		if p := app.AuditRetentionProblem(context.Background()); !strings.Contains(p, "--audit-archive-dir") {
			t.Fatalf("problem = %q", p)
		}
		if err := app.RunAuditMaintenance(context.Background()); errs.KindOf(err) != errs.Invalid {
			t.Fatalf("maintenance without a directory: %v", err)
		}
		if evs, _ := app.Store.ListAudit(context.Background(), store.AuditFilter{}); len(evs) != 3 {
			t.Fatalf("%d rows left, want 3", len(evs))
		}
		app.Close()
		app = open(t.TempDir())
		if err := app.RunAuditMaintenance(context.Background()); err != nil {
			t.Fatal(err)
		}
		evs, _ := app.Store.ListAudit(context.Background(), store.AuditFilter{})
		if len(evs) != 1 || evs[0].At.Month() != time.March {
			t.Fatalf("left %+v, want March's row", evs)
		}
		if got, _ := app.Store.AuditArchives(context.Background()); len(got) != 2 {
			t.Fatalf("archives %+v", got)
		}
	})
}
