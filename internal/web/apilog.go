package web

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/emedpractice/emp/internal/errs"
	"github.com/emedpractice/emp/internal/store"
)

const apiLogPage = 50

type apiLogView struct {
	Frame
	Filter url.Values
	Events []store.AuditEvent
	// Next is the query string of the following (older) page; empty on the
	// last one.
	Next string
}

// apiLog is GET /admin/apilog: the audit log, newest first, filtered by
// user, client, patient, path prefix, status and time, paged by sequence.
func (s *Site) apiLog(w http.ResponseWriter, r *http.Request, p *page) {
	q := r.URL.Query()
	v := apiLogView{Frame: p.Frame, Filter: q}
	v.Title, v.Current = "API log", "apilog"
	f, err := auditFilter(q)
	if err != nil {
		v.Error, _ = userMessage(err)
		s.render(w, r, http.StatusBadRequest, "apilog", v)
		return
	}
	f.Actor = s.actorID(r, f.Actor)
	f.Limit = apiLogPage + 1
	evs, err := s.store.ListAudit(r.Context(), f)
	if err != nil {
		s.internal(w, r, err)
		return
	}
	if len(evs) > apiLogPage {
		evs = evs[:apiLogPage]
		next := url.Values{}
		for k, vs := range q {
			next[k] = vs
		}
		next.Set("before", strconv.FormatInt(evs[len(evs)-1].Seq, 10))
		v.Next = next.Encode()
	}
	v.Events = evs
	s.render(w, r, http.StatusOK, "apilog", v)
}

// auditFilter reads the filter form; times are UTC, as the log shows them.
func auditFilter(q url.Values) (store.AuditFilter, error) {
	f := store.AuditFilter{Actor: strings.TrimSpace(q.Get("user")), ClientID: strings.TrimSpace(q.Get("client")),
		Patient: strings.TrimSpace(q.Get("patient")), PathPrefix: strings.TrimSpace(q.Get("path"))}
	if st := q.Get("status"); st != "" {
		n, err := strconv.Atoi(st)
		if err != nil || n < 100 || n > 599 {
			return f, errs.Field("status", "a status is a number from 100 to 599")
		}
		f.Status = n
	}
	for _, t := range []struct {
		name string
		dst  *time.Time
	}{{"since", &f.Since}, {"until", &f.Until}} {
		v := q.Get(t.name)
		if v == "" {
			continue
		}
		at, err := parseWhen(v)
		if err != nil {
			return f, errs.Field(t.name, "enter a date (2026-01-31) or a date and time (2026-01-31T14:00)")
		}
		*t.dst = at
	}
	if b := q.Get("before"); b != "" {
		n, err := strconv.ParseInt(b, 10, 64)
		if err != nil || n <= 0 {
			return f, errs.Field("before", "not a position in the log")
		}
		f.AfterSeq = n
	}
	return f, nil
}

func parseWhen(v string) (time.Time, error) {
	for _, layout := range []string{"2006-01-02T15:04", "2006-01-02T15:04:05", "2006-01-02"} {
		if t, err := time.ParseInLocation(layout, v, time.UTC); err == nil {
			return t, nil
		}
	}
	return time.Time{}, errs.E(errs.Invalid, "bad time")
}

// actorID lets the user filter take a username: the log keeps user ids, so
// a staff or portal username is turned into its id (an id is kept as is).
func (s *Site) actorID(r *http.Request, user string) string {
	if user == "" {
		return ""
	}
	if u, err := s.st.UserByUsername(r.Context(), user); err == nil {
		return u.ID
	}
	if u, err := s.st.PatientUserByUsername(r.Context(), user); err == nil {
		return u.ID
	}
	return user
}
