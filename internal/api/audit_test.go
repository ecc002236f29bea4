package api_test

import (
	"context"
	"strings"
	"testing"

	"github.com/emedpractice/emp/internal/server"
	"github.com/emedpractice/emp/internal/store"
)

// TestAudit checks that every call is logged with who, which patient, what
// and how it ended, and that bodies are kept only when api_log is on.
func TestAudit(t *testing.T) {
	eachDB(t, func(t *testing.T, e *testEnv) {
		ctx := context.Background()
		id, _ := e.newPatient("Ada", "Lovelace")
		e.must(200, "GET", "/api/patient/"+id, e.staff, nil)
		e.must(403, "GET", "/api/patient/"+id, e.token("api:oemr user/drug.read"), nil)
		e.Store().FlushAudit()
		evs, err := e.Store().ListAudit(ctx, store.AuditFilter{PathPrefix: "/api/patient/" + id})
		if err != nil {
			t.Fatal(err)
		}
		statuses := map[int]store.AuditEvent{}
		for _, ev := range evs {
			statuses[ev.Status] = ev
		}
		if ev, ok := statuses[200]; !ok || ev.Patient != id || ev.Action != "read" || ev.Actor != "tester" || ev.Type != "api:patient" || ev.Method != "GET" {
			t.Errorf("audit of the read: %+v", evs)
		}
		if ev, ok := statuses[403]; !ok || ev.Detail == "" {
			t.Errorf("audit of the refusal: %+v", evs)
		}
		if strings.Contains(statuses[200].Detail, "Lovelace") {
			t.Errorf("bodies logged with api_log off: %q", statuses[200].Detail)
		}

		// With api_log on, bodies are kept.
		e.Set(t, server.SettingAPILog, "on")
		e.must(200, "PUT", "/api/patient/"+id, e.staff, map[string]any{"city": "Marylebone"})
		e.Store().FlushAudit()
		evs, err = e.Store().ListAudit(ctx, store.AuditFilter{PathPrefix: "/api/patient/" + id, Limit: 1})
		if err != nil || len(evs) != 1 {
			t.Fatal(evs, err)
		}
		if d := evs[0].Detail; !strings.Contains(d, `request: {"city":"Marylebone"}`) || !strings.Contains(d, `response: {"validationErrors"`) {
			t.Errorf("bodies not logged: %q", d)
		}
	})
}
