package api

import (
	"context"
	"strconv"
	"time"

	"github.com/emedpractice/emp/internal/errs"
	"github.com/emedpractice/emp/internal/fhir/search"
	"github.com/emedpractice/emp/internal/store"
)

// mapper gives the mappings what they need from the store: integer ids.
type mapper struct {
	ctx context.Context
	s   *store.Store
	// encounter is the encounter the route names, for records kept per
	// visit.
	encounter string
	now       func() time.Time
	// cache keeps mapped records by resource version; nil: none.
	cache *recordCache
}

// num is the integer id of a record (allocated on first use).
func (m *mapper) num(recordName, uuid string) (int64, error) {
	if uuid == "" {
		return 0, nil
	}
	return m.s.APINumber(m.ctx, recordName, uuid)
}

// resolveID turns a path id into the record's UUID: an integer is looked up
// among the recordName's numbers, anything else must have the form of a FHIR id.
// A malformed id is a 400 naming the path parameter; an unknown number 404.
func (c *call) resolveID(param, recordName string) (string, error) {
	v := c.r.PathValue(param)
	if n, err := strconv.ParseInt(v, 10, 64); err == nil {
		if n <= 0 {
			return "", fieldErr(param, "id", "invalid or nonexisting value %q", v)
		}
		return c.h.cfg.Store.APIUUID(c.ctx, recordName, n)
	}
	if !search.ValidID(v) {
		return "", fieldErr(param, "id", "invalid or nonexisting value %q", v)
	}
	return v, nil
}

// patientFromPath resolves and reads the patient the path names; 404 when
// there is none.
func (c *call) patientFromPath(param string) (string, error) {
	id, err := c.resolveID(param, "patient")
	if err != nil {
		return "", err
	}
	if _, err := c.h.cfg.Store.Read(c.ctx, "Patient", id, search.Compartment{}); err != nil {
		if k := errs.KindOf(err); k == errs.Gone || k == errs.NotFound {
			return "", errs.E(errs.NotFound, "no patient %q", c.r.PathValue(param))
		}
		return "", err
	}
	c.patient = id
	return id, nil
}
