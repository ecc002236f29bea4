package outcome_test

import (
	"encoding/json"
	"errors"
	"log/slog"
	"net/http/httptest"
	"testing"

	"github.com/emedpractice/emp/internal/errs"
	"github.com/emedpractice/emp/internal/fhir/outcome"
)

// TestWriteError: each error kind is answered with its status and issue
// code, the same on every FHIR face (bulk export once answered Gone and
// Precondition as "exception"); kinds that may be retried carry
// Retry-After unless the handler set its own; an internal error's details
// stay out of the answer.
func TestWriteError(t *testing.T) {
	tests := []struct {
		name       string
		err        error
		retryAfter string // set by the handler before
		status     int
		codes      []string
		wantRetry  string
	}{
		{"invalid", errs.Field("birthDate", "not a date"), "", 400, []string{"invalid"}, ""},
		{"not found", errs.E(errs.NotFound, "no such"), "", 404, []string{"not-found"}, ""},
		{"gone", errs.E(errs.Gone, "deleted"), "", 410, []string{"deleted"}, ""},
		{"precondition", errs.E(errs.Precondition, "version"), "", 412, []string{"conflict"}, ""},
		{"conflict", errs.E(errs.Conflict, "exists"), "", 409, []string{"conflict"}, ""},
		{"forbidden", errs.E(errs.Forbidden, "no scope"), "", 403, []string{"forbidden"}, ""},
		{"too large", errs.E(errs.TooLarge, "big"), "", 413, []string{"too-long"}, ""},
		{"unavailable", errs.E(errs.Unavailable, "search over its time"), "", 503, []string{"transient"}, "1"},
		{"too many", errs.E(errs.TooMany, "share used"), "", 429, []string{"throttled"}, "1"},
		{"too many, handler's wait", errs.E(errs.TooMany, "polled too often"), "2", 429, []string{"throttled"}, "2"},
		{"several", errs.Multi{errs.Field("a", "x"), errs.E(errs.NotFound, "y")}, "", 400, []string{"invalid", "not-found"}, ""},
		{"internal", errors.New("disk on fire"), "", 500, []string{"exception"}, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			w := httptest.NewRecorder()
			if tc.retryAfter != "" {
				w.Header().Set("Retry-After", tc.retryAfter)
			}
			outcome.WriteError(w, httptest.NewRequest("GET", "/fhir/r4/Patient", nil), slog.New(slog.DiscardHandler), tc.err)
			if w.Code != tc.status || w.Header().Get("Retry-After") != tc.wantRetry {
				t.Fatalf("%d Retry-After %q, want %d %q", w.Code, w.Header().Get("Retry-After"), tc.status, tc.wantRetry)
			}
			if ct := w.Header().Get("Content-Type"); ct != outcome.ContentType {
				t.Fatalf("Content-Type %q", ct)
			}
			var doc struct {
				ResourceType string          `json:"resourceType"`
				Issue        []outcome.Issue `json:"issue"`
			}
			if err := json.Unmarshal(w.Body.Bytes(), &doc); err != nil || doc.ResourceType != "OperationOutcome" {
				t.Fatalf("%v: %s", err, w.Body)
			}
			if len(doc.Issue) != len(tc.codes) {
				t.Fatalf("issues %+v, want codes %v", doc.Issue, tc.codes)
			}
			for i, is := range doc.Issue {
				if is.Code != tc.codes[i] {
					t.Fatalf("issue %d code %q, want %q", i, is.Code, tc.codes[i])
				}
				if tc.status == 500 && (is.Severity != "fatal" || is.Diagnostics == "disk on fire") {
					t.Fatalf("internal error answered as %+v", is)
				}
			}
		})
	}
}
