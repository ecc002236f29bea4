package api

import (
	"errors"
	"maps"
	"net/http"
	"net/url"
	"reflect"
	"slices"
	"strings"

	"github.com/emedpractice/emp/internal/errs"
	"github.com/emedpractice/emp/internal/fhir/fhirjson"
	"github.com/emedpractice/emp/internal/fhir/search"
	"github.com/emedpractice/emp/internal/fhir/validate"
	"github.com/emedpractice/emp/internal/store"
)

// recordType is one record type of the API over one FHIR resource type: how a
// record is read from a resource and written onto one, how it is validated
// and searched. The generic handlers below serve every record type the
// same way; each type's file fills in a recordType.
type recordType[T any] struct {
	name     string // the scope resource name, also the name of its integer ids
	fhirType string
	checks   []check
	// query maps a documented search field to the FHIR search parameter
	// that answers it.
	query map[string]queryField
	// sortable maps fields to FHIR sort parameters.
	sortable map[string]string
	// fixed are search parameters every list adds (a category, say).
	fixed url.Values
	// patientParam is the FHIR search parameter naming the patient, ""
	// for records that belong to no patient.
	patientParam string
	// encounterParam is the FHIR search parameter naming the encounter,
	// for records kept per visit (soap notes); encounterOf reads it back.
	encounterParam string
	encounterOf    func(o obj) string
	// match tells whether a resource of the type is a record of this type
	// (a Condition may be a medical problem or a dental issue); nil: all.
	match func(o obj) bool
	// toRecord reads a record from a resource.
	toRecord func(m *mapper, r *store.Resource, o obj) (*T, error)
	// toFHIR writes rec onto o, the current resource on update or a new
	// one; f holds what the client sent. patient is the owner's id.
	toFHIR func(m *mapper, rec *T, f fields, o obj, patient string) error
	// extra are business rules beyond the field checks.
	extra func(c *call, f fields, create bool, patient string) errs.Multi
	// created is the data of a 201: the new record's ids.
	created func(num int64, uuid string) any
	// createdType is the type created returns, for the route table.
	createdType reflect.Type
	// cacheable marks records mapped from their resource alone, which may
	// be kept by version (see recordCache).
	cacheable bool
}

// mapped is a record with the facts the handlers check before showing it:
// whether the resource is of this type, and whose it is.
type mapped struct {
	rec       any
	match     bool
	patient   string
	encounter string
}

// load maps a resource, through the cache when the type allows. The record
// may be shared: callers must not change it.
func (k *recordType[T]) load(m *mapper, r *store.Resource) (*mapped, error) {
	var key string
	if k.cacheable && m.cache != nil {
		key = cacheKey(k.name, r.ID, r.Version)
		if v, ok := m.cache.get(key); ok {
			return v.(*mapped), nil
		}
	}
	o, err := fhirjson.Decode(r.Body)
	if err != nil {
		return nil, err
	}
	mp := &mapped{match: k.matches(o), patient: patientOf(o)}
	if k.encounterOf != nil {
		mp.encounter = k.encounterOf(o)
	}
	if mp.match {
		rec, err := k.toRecord(m, r, o)
		if err != nil {
			return nil, err
		}
		mp.rec = rec
	}
	if key != "" {
		m.cache.put(key, mp)
	}
	return mp, nil
}

// one reads one record of the patient (any when patient is ""); NotFound
// when the resource is not of this type, not the patient's, or not of the
// encounter the mapper names.
func (k *recordType[T]) one(m *mapper, patient, id string) (*T, *mapped, error) {
	res, err := m.s.Read(m.ctx, k.fhirType, id, search.Compartment{})
	if err != nil {
		if kd := errs.KindOf(err); kd == errs.Gone || kd == errs.NotFound {
			return nil, nil, errs.E(errs.NotFound, "no %s %q", k.name, id)
		}
		return nil, nil, err
	}
	mp, err := k.load(m, res)
	if err != nil {
		return nil, nil, err
	}
	if !mp.match || (patient != "" && mp.patient != patient) || (m.encounter != "" && k.encounterOf != nil && mp.encounter != m.encounter) {
		return nil, nil, errs.E(errs.NotFound, "no %s %q", k.name, id)
	}
	return mp.rec.(*T), mp, nil
}

// queryField is a search field: the FHIR parameter and how the value
// translates (nil: as it is).
type queryField struct {
	param string
	conv  func(string) string
}

func (k *recordType[T]) matches(o obj) bool { return k.match == nil || k.match(o) }

// readResource reads one record's resource, checking that it is of this
// type and, when patient is set, belongs to that patient. Anything else is
// 404, so a record's existence does not leak through another patient's path.
func (k *recordType[T]) readResource(c *call, patient, id string) (*store.Resource, obj, error) {
	return k.readWith(c, c.m, patient, id)
}

// readForUpdate is readResource for a read-modify-write: the record is
// read as the database holds it now (store.Latest), not as a cache or a
// replica a moment behind another node's write holds it, since the update
// that follows names the version read as its precondition.
func (k *recordType[T]) readForUpdate(c *call, patient, id string) (*store.Resource, obj, error) {
	m := *c.m
	m.ctx = store.Latest(m.ctx)
	return k.readWith(c, &m, patient, id)
}

func (k *recordType[T]) readWith(c *call, m *mapper, patient, id string) (*store.Resource, obj, error) {
	c.resID = id
	res, o, err := k.fetch(m, patient, id)
	if err != nil {
		return nil, nil, err
	}
	if c.patient == "" {
		c.patient = patientOf(o)
	}
	return res, o, nil
}

// fetch is readResource without a call.
func (k *recordType[T]) fetch(m *mapper, patient, id string) (*store.Resource, obj, error) {
	res, err := m.s.Read(m.ctx, k.fhirType, id, search.Compartment{})
	if err != nil {
		if kd := errs.KindOf(err); kd == errs.Gone || kd == errs.NotFound {
			return nil, nil, errs.E(errs.NotFound, "no %s %q", k.name, id)
		}
		return nil, nil, err
	}
	o, err := fhirjson.Decode(res.Body)
	if err != nil {
		return nil, nil, err
	}
	if !k.matches(o) || (patient != "" && patientOf(o) != patient) ||
		(m.encounter != "" && k.encounterOf != nil && k.encounterOf(o) != m.encounter) {
		return nil, nil, errs.E(errs.NotFound, "no %s %q", k.name, id)
	}
	return res, o, nil
}

// ruleBounds is the rule of a list query over the bounds of one search.
const ruleBounds rule = "bounds"

// query builds the FHIR search for a list from the request's query fields.
func (k *recordType[T]) searchQuery(m *mapper, values url.Values, patient string, p page) (*search.Query, error) {
	q := &search.Query{Type: k.fhirType}
	add := func(field, param, value string) error {
		pq, err := search.Parse(k.fhirType, url.Values{param: {value}}, search.Options{})
		if err == nil {
			q.Clauses = append(q.Clauses, pq.Clauses...)
			// The fields are parsed one by one, so the bounds of one
			// search are checked on what they add up to.
			err = search.CheckBounds(q)
		}
		var e *errs.Error
		if errors.As(err, &e) && errors.Is(e, search.ErrBound) {
			return fieldErr(field, ruleBounds, "%s", e.Message)
		}
		if err != nil {
			return fieldErr(field, "search", "cannot search %s by %q", field, value)
		}
		return nil
	}
	for param, vs := range k.fixed {
		for _, v := range vs {
			if err := add(param, param, v); err != nil {
				return nil, err
			}
		}
	}
	if patient != "" {
		if err := add("patient", k.patientParam, "Patient/"+patient); err != nil {
			return nil, err
		}
	}
	if m.encounter != "" && k.encounterParam != "" {
		if err := add("encounter", k.encounterParam, "Encounter/"+m.encounter); err != nil {
			return nil, err
		}
	}
	var bad errs.Multi
	// In field order, so that which field a refusal names does not change
	// from one request to the next.
	for _, field := range slices.Sorted(maps.Keys(values)) {
		vs := values[field]
		qf, ok := k.query[field]
		if !ok {
			continue
		}
		for _, v := range vs {
			if v == "" {
				continue
			}
			if qf.conv != nil {
				v = qf.conv(v)
			}
			if err := add(field, qf.param, v); err != nil {
				if errors.Is(err, ruleBounds) {
					return nil, err // the rest would be refused the same way
				}
				bad = append(bad, err.(*errs.Error))
			}
		}
	}
	if len(bad) > 0 {
		return nil, bad
	}
	sortParam, err := sortKeys(values.Get("_sort"), k.sortable)
	if err != nil {
		return nil, err
	}
	if sortParam != "" {
		sq, err := search.Parse(k.fhirType, url.Values{"_sort": {sortParam}}, search.Options{})
		if err != nil {
			return nil, fieldErr("_sort", "sort", "cannot sort by %q", values.Get("_sort"))
		}
		q.Sort = sq.Sort
	}
	q.Count = p.offset + p.limit
	if p.byCursor {
		q.Cursor, q.Count = p.cursor, p.limit
	}
	return q, nil
}

// list answers a list route: the records matching the query fields, of the
// patient when patient is set, one page at a time. An empty list is 200
// with [].
func (k *recordType[T]) list(c *call, patient string) (*reply, error) {
	p, err := readPage(c.r.URL.Query())
	if err != nil {
		return nil, err
	}
	out, next, err := k.find(c.m, c.r.URL.Query(), patient, p)
	if err != nil {
		return nil, err
	}
	return &reply{data: out, links: c.links(p, next)}, nil
}

// find runs a list's search and maps one page of records; next is the
// cursor of the following page, "" on the last.
func (k *recordType[T]) find(m *mapper, values url.Values, patient string, p page) ([]*T, string, error) {
	q, err := k.searchQuery(m, values, patient, p)
	if err != nil {
		return nil, "", err
	}
	res, err := m.s.Search(m.ctx, q)
	if err != nil {
		if p.cursor != "" && errs.KindOf(err) == errs.Invalid {
			return nil, "", fieldErr("_cursor", "cursor", "the cursor is not one this server gave")
		}
		return nil, "", err
	}
	out := make([]*T, 0, p.limit)
	rs := res.Resources
	if p.offset < len(rs) {
		rs = rs[p.offset:]
	} else {
		rs = nil
	}
	for _, r := range rs {
		mp, err := k.load(m, r)
		if err != nil {
			return nil, "", err
		}
		if mp.match {
			out = append(out, mp.rec.(*T))
		}
	}
	return out, res.Next, nil
}

// get answers a read of one record.
func (k *recordType[T]) get(c *call, patient, id string) (*reply, error) {
	c.resID = id
	rec, mp, err := k.one(c.m, patient, id)
	if err != nil {
		return nil, err
	}
	if c.patient == "" {
		c.patient = mp.patient
	}
	return &reply{data: rec}, nil
}

// create validates the body and stores a new record with its integer id
// in one transaction. Nothing is written when anything is wrong.
func (k *recordType[T]) create(c *call, patient string) (*reply, error) {
	f, err := c.jsonBody()
	if err != nil {
		return nil, err
	}
	if err := k.check(c, f, true, patient); err != nil {
		return nil, err
	}
	rec := new(T)
	overlay(rec, f)
	o := obj{"resourceType": k.fhirType}
	if err := k.toFHIR(c.m, rec, f, o, patient); err != nil {
		return nil, err
	}
	if err := validFHIR(k.fhirType, o); err != nil {
		return nil, err
	}
	out, err := c.h.cfg.Store.CreateAll(c.ctx, []store.NewResource{{Type: k.fhirType, Body: o, Numbered: k.name}}, search.Compartment{})
	if err != nil {
		return nil, err
	}
	c.resID = out[0].ID
	return &reply{status: http.StatusCreated, data: k.createdData(out[0].Num, out[0].ID)}, nil
}

func (k *recordType[T]) createdData(num int64, uuid string) any {
	if k.created != nil {
		return k.created(num, uuid)
	}
	return Created{ID: num, UUID: uuid}
}

func (k *recordType[T]) check(c *call, f fields, create bool, patient string) error {
	bad := checkBody(c, f, k.checks, create)
	if k.extra != nil {
		bad = append(bad, k.extra(c, f, create, patient)...)
	}
	if len(bad) > 0 {
		return bad
	}
	return nil
}

// update changes the fields the body names and keeps everything else of
// the resource, including elements the API does not know. It answers the
// full record.
func (k *recordType[T]) update(c *call, patient, id string) (*reply, error) {
	f, err := c.jsonBody()
	if err != nil {
		return nil, err
	}
	if err := k.check(c, f, false, patient); err != nil {
		return nil, err
	}
	res, o, err := k.readForUpdate(c, patient, id)
	if err != nil {
		return nil, err
	}
	rec, err := k.toRecord(c.m, res, o)
	if err != nil {
		return nil, err
	}
	overlay(rec, f)
	owner := patient
	if owner == "" {
		owner = patientOf(o)
	}
	if err := k.toFHIR(c.m, rec, f, o, owner); err != nil {
		return nil, err
	}
	if err := validFHIR(k.fhirType, o); err != nil {
		return nil, err
	}
	nr, _, err := c.h.cfg.Store.Update(c.ctx, k.fhirType, id, o, res.Version, search.Compartment{})
	if err != nil {
		return nil, err
	}
	no, err := fhirjson.Decode(nr.Body)
	if err != nil {
		return nil, err
	}
	rec, err = k.toRecord(c.m, nr, no)
	if err != nil {
		return nil, err
	}
	return &reply{data: rec}, nil
}

// remove deletes one record.
func (k *recordType[T]) remove(c *call, patient, id string) (*reply, error) {
	if _, _, err := k.readResource(c, patient, id); err != nil {
		return nil, err
	}
	if err := c.h.cfg.Store.Delete(c.ctx, k.fhirType, id, search.Compartment{}); err != nil {
		return nil, err
	}
	return &reply{data: Deleted{Message: "record deleted"}}, nil
}

// validFHIR checks a mapped resource against the R4 definitions. The
// field checks should have caught every bad value; what slips through is
// still the client's input, so it is a 400 naming the FHIR element.
func validFHIR(rtype string, o obj) error {
	if err := validate.Resource(rtype, o); err != nil {
		if errs.KindOf(err) == errs.Internal {
			return err
		}
		return err
	}
	return nil
}

// patientOf returns the id of the patient a clinical resource belongs to.
func patientOf(o obj) string {
	if str(o, "resourceType") == "Patient" {
		return str(o, "id")
	}
	for _, key := range []string{"subject", "patient", "beneficiary"} {
		if id := refID(o, key, "Patient"); id != "" {
			return id
		}
	}
	for _, p := range list(o, "participant") {
		if id := refID(p, "actor", "Patient"); id != "" {
			return id
		}
	}
	return ""
}

// hasCode reports whether the CodeableConcept list at key holds the code.
func hasCode(o obj, key, code string) bool {
	for _, cc := range list(o, key) {
		for _, cd := range list(cc, "coding") {
			if str(cd, "code") == code {
				return true
			}
		}
	}
	return false
}

// lower is strings.ToLower for conv.
func lower(s string) string { return strings.ToLower(s) }
