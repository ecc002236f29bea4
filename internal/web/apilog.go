package web

import (
	"encoding/csv"
	"html/template"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/emedpractice/emp/internal/errs"
	"github.com/emedpractice/emp/internal/store"
)

const (
	apiLogPage = 50
	// apiLogExportMax bounds one CSV export; a narrower filter gets the rest.
	apiLogExportMax = 10000
)

type apiLogView struct {
	Frame
	Filter url.Values
	Rows   []logRow
	// Next is the URL of the following (older) page, First of the newest
	// page of the same filter (shown once paged); empty when there is none.
	// They are template.URL because the query string is built here, escaped
	// once: the template would otherwise escape its "=" and "&" again.
	Next, First template.URL
	// CSV is the export of the filtered view.
	CSV template.URL
	// Users and Clients feed the filters' suggestions.
	Users, Clients []string
}

// logRow is one audit row with the names of who and what it names; the
// ids go in the title (shown on hover) and in the detail view.
type logRow struct {
	store.AuditEvent
	UserName, ClientName, PatientName string
	Security                          bool
	// Summary is the detail without the bodies, cut for the list.
	Summary string
}

// names maps the ids an audit row holds to what a person recognizes.
type names struct {
	users, clients map[string]string
	userList       []string
	clientList     []string
	// byName resolves a typed name (username, display name or client
	// name, lower-cased) to its id, for the filters.
	userByName, clientByName map[string]string
}

// loadNames reads the users, portal users and clients once per page: a
// practice has tens of them, so a map beats a join per row.
func (s *Site) loadNames(r *http.Request) (names, error) {
	n := names{users: map[string]string{}, clients: map[string]string{}, userByName: map[string]string{}, clientByName: map[string]string{}}
	us, err := s.st.Users(r.Context())
	if err != nil {
		return n, err
	}
	for _, u := range us {
		n.users[u.ID] = first(u.Name, u.Username)
		n.userList = append(n.userList, u.Username)
		n.userByName[strings.ToLower(u.Username)] = u.ID
		if u.Name != "" {
			n.userByName[strings.ToLower(u.Name)] = u.ID
		}
	}
	ps, err := s.st.PatientUsers(r.Context())
	if err != nil {
		return n, err
	}
	for _, u := range ps {
		n.users[u.ID] = first(u.Name, u.Username) + " (portal)"
		n.userList = append(n.userList, u.Username)
		n.userByName[strings.ToLower(u.Username)] = u.ID
		if u.Name != "" {
			n.userByName[strings.ToLower(u.Name)] = u.ID
		}
	}
	cs, err := s.st.Clients(r.Context())
	if err != nil {
		return n, err
	}
	for _, c := range cs {
		n.clients[c.ID] = first(c.Name, c.ID)
		if c.Name != "" {
			n.clientList = append(n.clientList, c.Name)
			n.clientByName[strings.ToLower(c.Name)] = c.ID
		}
	}
	return n, nil
}

// resolve turns a typed name into the id the log keeps; an id (or
// anything unknown) is kept as typed, so it matches exactly or not at all.
func resolve(byName map[string]string, typed string) string {
	if id, ok := byName[strings.ToLower(typed)]; ok {
		return id
	}
	return typed
}

func (n names) row(ev store.AuditEvent) logRow {
	row := logRow{AuditEvent: ev, UserName: n.users[ev.Actor], ClientName: n.clients[ev.ClientID]}
	row.Summary, _, _ = splitBodies(ev.Detail)
	if r := []rune(row.Summary); len(r) > 160 {
		row.Summary = string(r[:160]) + "…"
	}
	row.Security = ev.Status == http.StatusUnauthorized || ev.Status == http.StatusForbidden
	for _, a := range store.SecurityActions() {
		row.Security = row.Security || ev.Action == a
	}
	return row
}

// apiLog is GET /admin/apilog: the audit log, newest first, filtered by
// user, client (by name or id), patient, path prefix, status, time and
// kind (sign-ins and refusals only), paged by sequence.
func (s *Site) apiLog(w http.ResponseWriter, r *http.Request, p *page) {
	q := r.URL.Query()
	v := apiLogView{Frame: p.Frame, Filter: q}
	v.Title, v.Current = "API log", "apilog"
	n, err := s.loadNames(r)
	if err != nil {
		s.internal(w, r, err)
		return
	}
	v.Users, v.Clients = n.userList, n.clientList
	f, err := auditFilter(q, n)
	if err != nil {
		v.Error, _ = userMessage(err)
		s.render(w, r, http.StatusBadRequest, "apilog", v)
		return
	}
	f.Limit = apiLogPage + 1
	evs, err := s.store.ListAudit(r.Context(), f)
	if err != nil {
		s.internal(w, r, err)
		return
	}
	filter := url.Values{}
	for k, vs := range q {
		if k != "before" {
			filter[k] = vs
		}
	}
	if len(evs) > apiLogPage {
		evs = evs[:apiLogPage]
		next := url.Values{}
		for k, vs := range filter {
			next[k] = vs
		}
		next.Set("before", strconv.FormatInt(evs[len(evs)-1].Seq, 10))
		v.Next = template.URL("/admin/apilog?" + next.Encode())
	}
	if q.Get("before") != "" {
		v.First = template.URL("/admin/apilog?" + filter.Encode())
	}
	v.CSV = template.URL("/admin/apilog.csv?" + filter.Encode())
	if s.auditWarning != nil {
		v.Error = s.auditWarning(r.Context())
	}
	patients := map[string]string{}
	for _, ev := range evs {
		row := n.row(ev)
		row.PatientName = s.patientName(r, patients, ev.Patient)
		v.Rows = append(v.Rows, row)
	}
	s.render(w, r, http.StatusOK, "apilog", v)
}

type apiLogEntryView struct {
	Frame
	Row logRow
	// Summary is the detail without the bodies; Request and Response are
	// the bodies the api_log setting kept, when it did.
	Summary, Request, Response string
}

// apiLogEntry is GET /admin/apilog/{seq}: one entry in full, with the
// request and response bodies when the api_log setting kept them.
func (s *Site) apiLogEntry(w http.ResponseWriter, r *http.Request, p *page) {
	v := apiLogEntryView{Frame: p.Frame}
	v.Title, v.Current = "API log entry", "apilog"
	seq, err := strconv.ParseInt(r.PathValue("seq"), 10, 64)
	var evs []store.AuditEvent
	if err == nil && seq > 0 {
		// The newest row at or before seq: the row itself when it exists.
		evs, err = s.store.ListAudit(r.Context(), store.AuditFilter{AfterSeq: seq + 1, Limit: 1})
		if err != nil {
			s.internal(w, r, err)
			return
		}
	}
	if len(evs) == 0 || evs[0].Seq != seq {
		s.notFound(w, r, p.Frame)
		return
	}
	n, err := s.loadNames(r)
	if err != nil {
		s.internal(w, r, err)
		return
	}
	v.Row = n.row(evs[0])
	v.Row.PatientName = s.patientName(r, map[string]string{}, evs[0].Patient)
	v.Summary, v.Request, v.Response = splitBodies(evs[0].Detail)
	s.render(w, r, http.StatusOK, "apilogentry", v)
}

// patientName names the patient an entry is about, once per page for each
// patient (seen caches the answers); "" when the id names no patient on
// file, or several (a row may list more than one).
func (s *Site) patientName(r *http.Request, seen map[string]string, id string) string {
	if id == "" || strings.Contains(id, ",") {
		return ""
	}
	if name, ok := seen[id]; ok {
		return name
	}
	d, err := s.demographics(r, id)
	if err != nil && !isNotFound(err) {
		s.logger.ErrorContext(r.Context(), "web: api log patient name", "err", err)
	}
	seen[id] = d.Name
	return d.Name
}

// splitBodies separates the bodies the API faces append to a detail
// ("\nrequest: …", "\nresponse: …") from the detail itself.
func splitBodies(detail string) (summary, req, res string) {
	summary = "\n" + detail
	if i := strings.Index(summary, "\nresponse: "); i >= 0 {
		summary, res = summary[:i], summary[i+len("\nresponse: "):]
	}
	if i := strings.Index(summary, "\nrequest: "); i >= 0 {
		summary, req = summary[:i], summary[i+len("\nrequest: "):]
	}
	return strings.TrimPrefix(summary, "\n"), req, res
}

// apiLogCSV is GET /admin/apilog.csv: the filtered view as CSV, newest
// first, at most apiLogExportMax rows. A cell that a spreadsheet would run
// as a formula is prefixed with a quote.
func (s *Site) apiLogCSV(w http.ResponseWriter, r *http.Request, p *page) {
	n, err := s.loadNames(r)
	if err != nil {
		s.internal(w, r, err)
		return
	}
	f, err := auditFilter(r.URL.Query(), n)
	if err != nil {
		msg, _ := userMessage(err)
		s.render(w, r, http.StatusBadRequest, "message", messageView{Frame: p.Frame, Message: msg, Link: "/admin/apilog", LinkText: "Back to the API log"})
		return
	}
	var rows []store.AuditEvent
	for len(rows) < apiLogExportMax {
		f.Limit = min(1000, apiLogExportMax-len(rows))
		evs, err := s.store.ListAudit(r.Context(), f)
		if err != nil {
			s.internal(w, r, err)
			return
		}
		rows = append(rows, evs...)
		if len(evs) < f.Limit {
			break
		}
		f.AfterSeq = evs[len(evs)-1].Seq
	}
	h := w.Header()
	h.Set("Content-Type", "text/csv; charset=utf-8")
	h.Set("Content-Disposition", `attachment; filename="api-log-`+s.now().UTC().Format("20060102-150405")+`.csv"`)
	h.Set("Cache-Control", "no-store")
	h.Set("X-Content-Type-Options", "nosniff")
	cw := csv.NewWriter(w)
	cw.Write([]string{"seq", "time_utc", "user", "user_id", "role", "client", "client_id", "patient", "action", "type", "resource_id",
		"method", "path", "status", "request_id", "detail"})
	for _, ev := range rows {
		rec := []string{strconv.FormatInt(ev.Seq, 10), ev.At.UTC().Format(time.RFC3339), n.users[ev.Actor], ev.Actor, ev.Role,
			n.clients[ev.ClientID], ev.ClientID, ev.Patient, ev.Action, ev.Type, ev.ResID, ev.Method, ev.Path, strconv.Itoa(ev.Status),
			ev.RequestID, ev.Detail}
		for i := range rec {
			rec[i] = csvCell(rec[i])
		}
		cw.Write(rec)
	}
	cw.Flush()
}

// csvCell defuses a cell a spreadsheet would read as a formula (=, +, -,
// @, tab or carriage return first): the log holds what callers sent.
func csvCell(v string) string {
	if v != "" && strings.ContainsRune("=+-@\t\r", rune(v[0])) {
		return "'" + v
	}
	return v
}

// auditFilter reads the filter form; times are UTC, as the log shows them.
// User and client take a name (username, display name, client name) or an
// id.
func auditFilter(q url.Values, n names) (store.AuditFilter, error) {
	f := store.AuditFilter{Actor: resolve(n.userByName, strings.TrimSpace(q.Get("user"))),
		ClientID: resolve(n.clientByName, strings.TrimSpace(q.Get("client"))),
		Patient:  strings.TrimSpace(q.Get("patient")), PathPrefix: strings.TrimSpace(q.Get("path")),
		Security: q.Get("kind") == "security"}
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
