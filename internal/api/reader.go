package api

import (
	"context"
	"net/url"
	"time"

	"github.com/emedpractice/emp/internal/store"
)

// Reader reads records through this package's mappings for the other faces
// that show the same records (the patient portal), so that a record looks
// the same everywhere. It does no authorization: the caller decides whose
// records it may read and passes that patient.
type Reader struct {
	m *mapper
}

// NewReader returns a reader over the store, for the one request ctx.
func NewReader(ctx context.Context, s *store.Store, now func() time.Time) *Reader {
	if now == nil {
		now = time.Now
	}
	return &Reader{m: &mapper{ctx: ctx, s: s, now: now}}
}

// ReaderCache keeps mapped records across the requests of a face, as the
// standard API does; give one to WithCache.
type ReaderCache struct{ c *recordCache }

// NewReaderCache returns a cache of up to max records.
func NewReaderCache(max int) *ReaderCache { return &ReaderCache{c: newRecordCache(max)} }

// WithCache makes the reader keep mapped records in c.
func (r *Reader) WithCache(c *ReaderCache) *Reader {
	if c != nil {
		r.m.cache = c.c
	}
	return r
}

// Page selects a window of a list: Limit (default 100, at most 500) records
// from Offset, or from where Cursor (a previous page's Next) says.
type Page struct {
	Limit, Offset int
	ByCursor      bool
	Cursor        string
}

func (p Page) page() page {
	out := page{limit: p.Limit, offset: max(p.Offset, 0), byCursor: p.ByCursor, cursor: p.Cursor}
	if out.limit <= 0 {
		out.limit = defaultLimit
	}
	out.limit = min(out.limit, maxLimit)
	return out
}

// ReadPage reads _limit, _offset and _cursor from a query, as the API does; a bad
// value is a 400 naming the parameter.
func ReadPage(q url.Values) (Page, error) {
	p, err := readPage(q)
	return Page{Limit: p.limit, Offset: p.offset, ByCursor: p.byCursor, Cursor: p.cursor}, err
}

// PageLinks builds the paging links of a list at baseURL+path with the
// query; next is the cursor the list call returned ("" on the last page).
func PageLinks(baseURL, path string, q url.Values, p Page, next string) *Links {
	return pageLinks(baseURL, path, q, p.page(), next)
}

// Patient reads a patient's demographics; NotFound when there is none.
func (r *Reader) Patient(id string) (*Patient, error) {
	p, _, err := patientType.one(r.m, "", id)
	return p, err
}

// Encounter reads one of the patient's encounters; NotFound when it is
// not the patient's.
func (r *Reader) Encounter(patient, id string) (*Encounter, error) {
	e, _, err := encounterType.one(r.m, patient, id)
	return e, err
}

// Encounters lists the patient's encounters matching the API's query
// fields; next is the cursor of the following page, "" on the last.
func (r *Reader) Encounters(patient string, q url.Values, p Page) (recs []*Encounter, next string, err error) {
	return encounterType.find(r.m, q, patient, p.page())
}

// Appointment reads one of the patient's appointments.
func (r *Reader) Appointment(patient, id string) (*Appointment, error) {
	a, _, err := appointmentType.one(r.m, patient, id)
	return a, err
}

// Appointments lists the patient's appointments.
func (r *Reader) Appointments(patient string, q url.Values, p Page) (recs []*Appointment, next string, err error) {
	return appointmentType.find(r.m, q, patient, p.page())
}
