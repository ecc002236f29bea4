package api

import (
	"math"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"time"

	"github.com/emedpractice/emp/internal/errs"
	"github.com/emedpractice/emp/internal/fhir/fhirjson"
	"github.com/emedpractice/emp/internal/fhir/search"
	"github.com/emedpractice/emp/internal/scope"
	"github.com/emedpractice/emp/internal/store"
)

// Vital is one set of vital signs taken at a visit. In FHIR it is a group
// of vital-signs Observations of the encounter with the same time, the
// shape US Core clients write; the API adds a vital-signs panel holding
// them when it creates a set. The set's uuid is the panel's id or, for sets
// written without a panel, the smallest id of the group. Units are the
// original API's (pounds, inches, °F); values stored in other units are
// converted on reading.
type Vital struct {
	ID               int64  `json:"id"`
	UUID             string `json:"uuid" api:"readonly"`
	Pid              int64  `json:"pid"`
	Eid              int64  `json:"eid"`
	Date             string `json:"date"`
	Bps              string `json:"bps"`
	Bpd              string `json:"bpd"`
	Weight           string `json:"weight"`
	Height           string `json:"height"`
	Temperature      string `json:"temperature"`
	TempMethod       string `json:"temp_method"`
	Pulse            string `json:"pulse"`
	Respiration      string `json:"respiration"`
	Note             string `json:"note"`
	WaistCirc        string `json:"waist_circ"`
	HeadCirc         string `json:"head_circ"`
	OxygenSaturation string `json:"oxygen_saturation"`
	BMI              string `json:"BMI"`
	BMIStatus        string `json:"BMI_status"`
}

// VitalCreated is the data of a 201: the set's id (vid, and fid as the
// original's form id) and uuid.
type VitalCreated struct {
	Vid  int64  `json:"vid"`
	Fid  int64  `json:"fid"`
	UUID string `json:"uuid"`
}

const (
	sysLOINC       = "http://loinc.org"
	sysUCUM        = "http://unitsofmeasure.org"
	sysObsCategory = "http://terminology.hl7.org/CodeSystem/observation-category"
	loincPanel     = "85353-1"
	loincBP        = "85354-9"
	loincSystolic  = "8480-6"
	loincDiastolic = "8462-4"
)

// vitalSign is one measurement of a set: its field, LOINC code, the unit
// the API speaks, and conversions from other units FHIR clients use.
type vitalSign struct {
	field, loinc, display, unit string
	from                        map[string]func(float64) float64
	also                        []string // other LOINC codes read as this sign
}

var vitalSigns = []vitalSign{
	{field: "weight", loinc: "29463-7", display: "Body weight", unit: "[lb_av]",
		from: map[string]func(float64) float64{"kg": func(v float64) float64 { return v * 2.20462262 }, "g": func(v float64) float64 { return v / 453.59237 }}},
	{field: "height", loinc: "8302-2", display: "Body height", unit: "[in_i]",
		from: map[string]func(float64) float64{"cm": func(v float64) float64 { return v / 2.54 }, "m": func(v float64) float64 { return v / 0.0254 }}},
	{field: "temperature", loinc: "8310-5", display: "Body temperature", unit: "[degF]",
		from: map[string]func(float64) float64{"Cel": func(v float64) float64 { return v*9/5 + 32 }}},
	{field: "pulse", loinc: "8867-4", display: "Heart rate", unit: "/min"},
	{field: "respiration", loinc: "9279-1", display: "Respiratory rate", unit: "/min"},
	{field: "oxygen_saturation", loinc: "2708-6", display: "Oxygen saturation in Arterial blood", unit: "%", also: []string{"59408-5"}},
	{field: "BMI", loinc: "39156-5", display: "Body mass index (BMI) [Ratio]", unit: "kg/m2"},
	{field: "head_circ", loinc: "9843-4", display: "Head Occipital-frontal circumference", unit: "[in_i]",
		from: map[string]func(float64) float64{"cm": func(v float64) float64 { return v / 2.54 }}},
	{field: "waist_circ", loinc: "8280-0", display: "Waist Circumference at umbilicus by Tape measure", unit: "[in_i]",
		from: map[string]func(float64) float64{"cm": func(v float64) float64 { return v / 2.54 }}},
}

var vitalChecks = func() []check {
	cs := []check{
		{field: "bps", label: "Systolic", format: numeric}, {field: "bpd", label: "Diastolic", format: numeric},
		{field: "temp_method", min: 1, max: 255}, {field: "note", min: 1, max: 255}, {field: "BMI_status", min: 1, max: 255},
		{field: "date", format: dateTime},
	}
	for _, v := range vitalSigns {
		cs = append(cs, check{field: v.field, format: numeric})
	}
	return cs
}()

// vitalGroup is the observations of one set.
type vitalGroup struct {
	anchor  string // the set's uuid
	time    string
	panel   *vitalObs
	members []*vitalObs
}

type vitalObs struct {
	r *store.Resource
	o obj
}

func (o *vitalObs) code() string { return codeOf(o.o, "code", sysLOINC) }

// groupVitals sorts vital-signs observations into sets by time.
func groupVitals(rs []*store.Resource) ([]*vitalGroup, error) {
	byTime := map[string]*vitalGroup{}
	var order []*vitalGroup
	for _, r := range rs {
		o, err := fhirjson.Decode(r.Body)
		if err != nil {
			return nil, err
		}
		if st := str(o, "status"); st == "cancelled" || st == "entered-in-error" || !hasCode(o, "category", "vital-signs") {
			continue
		}
		t := str(o, "effectiveDateTime")
		g := byTime[t]
		if g == nil {
			g = &vitalGroup{time: t}
			byTime[t] = g
			order = append(order, g)
		}
		vo := &vitalObs{r: r, o: o}
		if vo.code() == loincPanel {
			g.panel = vo
		} else {
			g.members = append(g.members, vo)
		}
	}
	var out []*vitalGroup
	for _, g := range order {
		switch {
		case g.panel != nil:
			g.anchor = g.panel.r.ID
		case len(g.members) > 0:
			g.anchor = g.members[0].r.ID
			for _, m := range g.members {
				if m.r.ID < g.anchor {
					g.anchor = m.r.ID
				}
			}
		default:
			continue
		}
		out = append(out, g)
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].time < out[j].time })
	return out, nil
}

// anchorObs is the observation that carries the set's note.
func (g *vitalGroup) anchorObs() *vitalObs {
	if g.panel != nil {
		return g.panel
	}
	for _, m := range g.members {
		if m.r.ID == g.anchor {
			return m
		}
	}
	return nil
}

func (g *vitalGroup) member(loinc string) *vitalObs {
	for _, m := range g.members {
		c := m.code()
		if c == loinc {
			return m
		}
		for _, v := range vitalSigns {
			if v.loinc == loinc {
				for _, a := range v.also {
					if a == c {
						return m
					}
				}
			}
		}
	}
	return nil
}

func formatNum(v float64) string {
	return strconv.FormatFloat(math.Round(v*100)/100, 'f', -1, 64)
}

// quantityIn reads a valueQuantity in the sign's unit, converting others.
func (v vitalSign) quantityIn(q obj) string {
	val := number(q, "value")
	code := str(q, "code")
	if conv, ok := v.from[code]; ok && val != "" {
		f, err := strconv.ParseFloat(val, 64)
		if err == nil {
			return formatNum(conv(f))
		}
	}
	return val
}

func (g *vitalGroup) record(m *mapper, pid, eid int64) (*Vital, error) {
	v := &Vital{UUID: g.anchor, Pid: pid, Eid: eid, Date: apiDateTime(g.time)}
	var err error
	if v.ID, err = m.num("vital", g.anchor); err != nil {
		return nil, err
	}
	vals := map[string]*string{
		"weight": &v.Weight, "height": &v.Height, "temperature": &v.Temperature, "pulse": &v.Pulse, "respiration": &v.Respiration,
		"oxygen_saturation": &v.OxygenSaturation, "BMI": &v.BMI, "head_circ": &v.HeadCirc, "waist_circ": &v.WaistCirc,
	}
	for _, s := range vitalSigns {
		if mo := g.member(s.loinc); mo != nil {
			*vals[s.field] = s.quantityIn(child(mo.o, "valueQuantity"))
			if s.field == "temperature" {
				v.TempMethod = textOf(child(mo.o, "method"))
			}
			if s.field == "BMI" {
				if in := first(mo.o, "interpretation"); in != nil {
					v.BMIStatus = textOf(in)
				}
			}
		}
	}
	if bp := g.member(loincBP); bp != nil {
		for _, c := range list(bp.o, "component") {
			switch codeOf(c, "code", sysLOINC) {
			case loincSystolic:
				v.Bps = number(child(c, "valueQuantity"), "value")
			case loincDiastolic:
				v.Bpd = number(child(c, "valueQuantity"), "value")
			}
		}
	}
	if a := g.anchorObs(); a != nil {
		if n := first(a.o, "note"); n != nil {
			v.Note = str(n, "text")
		}
	}
	return v, nil
}

// vitalCall resolves the patient and encounter of a vital route.
type vitalScope struct {
	patient, encounter string
	pid, eid           int64
}

func vitalPath(c *call) (*vitalScope, error) {
	p, err := c.patientFromPath("pid")
	if err != nil {
		return nil, err
	}
	e, err := c.resolveID("eid", "encounter")
	if err != nil {
		return nil, err
	}
	if _, _, err := encounterType.readResource(c, p, e); err != nil {
		return nil, err
	}
	vs := &vitalScope{patient: p, encounter: e}
	if vs.pid, err = c.m.num("patient", p); err != nil {
		return nil, err
	}
	if vs.eid, err = c.m.num("encounter", e); err != nil {
		return nil, err
	}
	return vs, nil
}

// groups reads the encounter's vital-signs sets.
func (vs *vitalScope) groups(c *call) ([]*vitalGroup, error) {
	q, err := search.Parse("Observation", url.Values{
		"encounter": {"Encounter/" + vs.encounter}, "category": {"vital-signs"}, "patient": {"Patient/" + vs.patient},
	}, search.Options{})
	if err != nil {
		return nil, err
	}
	q.Count = 5000
	res, err := c.h.cfg.Store.Search(c.ctx, q)
	if err != nil {
		return nil, err
	}
	return groupVitals(res.Resources)
}

func (vs *vitalScope) find(c *call) (*vitalGroup, error) {
	id, err := c.resolveID("vid", "vital")
	if err != nil {
		return nil, err
	}
	c.resID = id
	gs, err := vs.groups(c)
	if err != nil {
		return nil, err
	}
	for _, g := range gs {
		if g.anchor == id {
			return g, nil
		}
	}
	return nil, errs.E(errs.NotFound, "no vital %q in this encounter", c.r.PathValue("vid"))
}

func listVitals(c *call) (*reply, error) {
	vs, err := vitalPath(c)
	if err != nil {
		return nil, err
	}
	gs, err := vs.groups(c)
	if err != nil {
		return nil, err
	}
	out := make([]*Vital, 0, len(gs))
	for _, g := range gs {
		v, err := g.record(c.m, vs.pid, vs.eid)
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return &reply{data: out}, nil
}

func getVital(c *call) (*reply, error) {
	vs, err := vitalPath(c)
	if err != nil {
		return nil, err
	}
	g, err := vs.find(c)
	if err != nil {
		return nil, err
	}
	v, err := g.record(c.m, vs.pid, vs.eid)
	if err != nil {
		return nil, err
	}
	return &reply{data: v}, nil
}

// newObs builds a member observation of a set.
func (vs *vitalScope) newObs(loinc, display, when string) obj {
	return obj{
		"resourceType": "Observation", "status": "final",
		"category": []any{concept(coding{sysObsCategory, "vital-signs", "Vital Signs"})},
		"code":     concept(coding{sysLOINC, loinc, display}),
		"subject":  ref("Patient", vs.patient), "encounter": ref("Encounter", vs.encounter),
		"effectiveDateTime": when,
	}
}

func quantity(value, unit string) obj {
	return obj{"value": jsonNumber(value), "unit": unit, "system": sysUCUM, "code": unit}
}

// applyVital writes the fields sent onto the set's observations: existing
// members change, new ones are added, and a sign sent empty is cancelled.
// It returns the changes to write. Each group of fields has its own part:
// the plain measurements, the temperature's method, the BMI's status, the
// blood pressure panel, then what touches the whole set (the panel's
// members, the note, the date).
func (vs *vitalScope) applyVital(c *call, g *vitalGroup, f fields, when string) ([]store.Change, error) {
	e := &vitalEdit{vs: vs, c: c, g: g, when: when}
	if err := e.measurements(f); err != nil {
		return nil, err
	}
	e.temperatureMethod(f)
	e.bmiStatus(f)
	if err := e.bloodPressure(f); err != nil {
		return nil, err
	}
	e.linkNewMembers()
	e.note(f)
	e.date(f)
	for _, ch := range e.changes {
		if err := validFHIR("Observation", ch.Body); err != nil {
			return nil, err
		}
	}
	return e.changes, nil
}

// vitalEdit is one write onto a set: the changes collected so far and the
// references to the members it creates.
type vitalEdit struct {
	vs      *vitalScope
	c       *call
	g       *vitalGroup
	when    string
	changes []store.Change
	newIDs  []any
}

// touch records a change of an existing observation, once.
func (e *vitalEdit) touch(mo *vitalObs) {
	for _, ch := range e.changes {
		if ch.ID == mo.r.ID {
			return
		}
	}
	e.changes = append(e.changes, store.Change{Type: "Observation", ID: mo.r.ID, Body: mo.o, Version: mo.r.Version})
}

// create records a new member. Its id must sort after the set's uuid, so
// that a set without a panel keeps its uuid (its smallest id) as it grows.
func (e *vitalEdit) create(o obj) error {
	var id string
	for {
		var err error
		if id, err = e.c.h.cfg.Store.NewID(); err != nil {
			return err
		}
		if e.g.panel != nil || e.g.anchor == "" || id > e.g.anchor {
			break
		}
	}
	e.changes = append(e.changes, store.Change{Type: "Observation", ID: id, Body: o})
	e.newIDs = append(e.newIDs, ref("Observation", id))
	return nil
}

// created calls fn with each new member of the LOINC code, for a field
// that qualifies a sign sent in the same request.
func (e *vitalEdit) created(loinc string, fn func(obj)) {
	for i := range e.changes {
		if codeOf(e.changes[i].Body, "code", sysLOINC) == loinc {
			fn(e.changes[i].Body)
		}
	}
}

// measurements applies the signs that are one quantity each (weight,
// height, temperature, pulse…).
func (e *vitalEdit) measurements(f fields) error {
	for _, s := range vitalSigns {
		v, ok := f[s.field]
		if !ok {
			continue
		}
		mo := e.g.member(s.loinc)
		switch {
		case v == "" && mo != nil:
			mo.o["status"] = "cancelled"
			e.touch(mo)
		case v == "":
		case mo != nil:
			mo.o["valueQuantity"] = quantity(v, s.unit)
			e.touch(mo)
		default:
			o := e.vs.newObs(s.loinc, s.display, e.when)
			o["valueQuantity"] = quantity(v, s.unit)
			if err := e.create(o); err != nil {
				return err
			}
		}
	}
	return nil
}

// temperatureMethod applies temp_method to the temperature's method.
func (e *vitalEdit) temperatureMethod(f fields) {
	tm, ok := f["temp_method"]
	if !ok {
		return
	}
	if mo := e.g.member("8310-5"); mo != nil {
		if tm == "" {
			delete(mo.o, "method")
		} else {
			mo.o["method"] = obj{"text": tm}
		}
		e.touch(mo)
	} else if tm != "" {
		// A method without a temperature is changed along with it.
		e.created("8310-5", func(o obj) { o["method"] = obj{"text": tm} })
	}
}

// bmiStatus applies BMI_status to the BMI's interpretation.
func (e *vitalEdit) bmiStatus(f fields) {
	st, ok := f["BMI_status"]
	if !ok {
		return
	}
	set := func(o obj) {
		if st == "" {
			delete(o, "interpretation")
		} else {
			o["interpretation"] = []any{obj{"text": st}}
		}
	}
	if mo := e.g.member("39156-5"); mo != nil {
		set(mo.o)
		e.touch(mo)
	} else {
		e.created("39156-5", set)
	}
}

// bloodPressure applies bps and bpd to the blood pressure panel's
// components: the panel is created with its first component and cancelled
// when its last is removed.
func (e *vitalEdit) bloodPressure(f fields) error {
	_, hasS := f["bps"]
	_, hasD := f["bpd"]
	if !hasS && !hasD {
		return nil
	}
	bp := e.g.member(loincBP)
	var o obj
	if bp != nil {
		o = bp.o
	} else {
		o = e.vs.newObs(loincBP, "Blood pressure panel with all children optional", e.when)
	}
	cs := bpComponents(o, f)
	switch {
	case bp != nil && len(cs) == 0:
		o["status"] = "cancelled"
		e.touch(bp)
	case bp != nil:
		o["component"] = cs
		e.touch(bp)
	case len(cs) > 0:
		o["component"] = cs
		return e.create(o)
	}
	return nil
}

// bpComponents is the blood pressure panel's components after bps and bpd:
// systolic first, a field sent empty removing its component.
func bpComponents(panel obj, f fields) []any {
	comps := map[string]obj{}
	for _, c := range list(panel, "component") {
		comps[codeOf(c, "code", sysLOINC)] = c
	}
	for _, x := range []struct{ field, loinc, display string }{{"bps", loincSystolic, "Systolic blood pressure"}, {"bpd", loincDiastolic, "Diastolic blood pressure"}} {
		if v, ok := f[x.field]; ok {
			if v == "" {
				delete(comps, x.loinc)
			} else {
				comps[x.loinc] = obj{"code": concept(coding{sysLOINC, x.loinc, x.display}), "valueQuantity": quantity(v, "mm[Hg]")}
			}
		}
	}
	var cs []any
	for _, code := range []string{loincSystolic, loincDiastolic} {
		if c, ok := comps[code]; ok {
			cs = append(cs, c)
		}
	}
	return cs
}

// linkNewMembers lists the members created in the set's panel.
func (e *vitalEdit) linkNewMembers() {
	if len(e.newIDs) > 0 && e.g.panel != nil {
		e.g.panel.o["hasMember"] = append(anySlice(e.g.panel.o["hasMember"]), e.newIDs...)
		e.touch(e.g.panel)
	}
}

// note applies the set's note, kept on its anchor observation.
func (e *vitalEdit) note(f fields) {
	if note, ok := f["note"]; ok {
		if a := e.g.anchorObs(); a != nil {
			setNote(a.o, note)
			e.touch(a)
		}
	}
}

// date moves every observation of the set to the new time: the existing
// ones and those created by this edit, which would otherwise keep the old
// time and fall out of the set.
func (e *vitalEdit) date(f fields) {
	d, ok := f["date"]
	if !ok || d == "" {
		return
	}
	for _, mo := range append([]*vitalObs{e.g.panel}, e.g.members...) {
		if mo != nil {
			e.touch(mo)
		}
	}
	for i := range e.changes {
		e.changes[i].Body["effectiveDateTime"] = fhirDateTime(d)
	}
}

func createVital(c *call) (*reply, error) {
	vs, err := vitalPath(c)
	if err != nil {
		return nil, err
	}
	f, err := c.jsonBody()
	if err != nil {
		return nil, err
	}
	if bad := checkBody(c, f, vitalChecks, true); len(bad) > 0 {
		return nil, bad
	}
	when := c.h.cfg.Now().UTC().Truncate(time.Second).Format(time.RFC3339)
	if d := f["date"]; d != "" {
		when = fhirDateTime(d)
	}
	panelID, err := c.h.cfg.Store.NewID()
	if err != nil {
		return nil, err
	}
	panel := vs.newObs(loincPanel, "Vital signs panel", when)
	panel["id"] = panelID
	g := &vitalGroup{anchor: panelID, time: when, panel: &vitalObs{r: &store.Resource{ID: panelID}, o: panel}}
	g2 := *g
	g2.panel = nil // members are all new; the panel is written below
	g2.anchor = ""
	changes, err := vs.applyVital(c, &g2, f, when)
	if err != nil {
		return nil, err
	}
	var members []any
	for _, ch := range changes {
		members = append(members, ref("Observation", ch.ID))
	}
	if len(members) > 0 {
		panel["hasMember"] = members
	}
	if n := f["note"]; n != "" {
		setNote(panel, n)
	}
	if err := validFHIR("Observation", panel); err != nil {
		return nil, err
	}
	all := append([]store.Change{{Type: "Observation", ID: panelID, Body: panel, Numbered: "vital"}}, changes...)
	out, err := c.h.cfg.Store.WriteAll(c.ctx, all)
	if err != nil {
		return nil, err
	}
	c.resID = panelID
	return &reply{status: http.StatusCreated, data: VitalCreated{Vid: out[0].Num, Fid: out[0].Num, UUID: panelID}}, nil
}

func updateVital(c *call) (*reply, error) {
	vs, err := vitalPath(c)
	if err != nil {
		return nil, err
	}
	f, err := c.jsonBody()
	if err != nil {
		return nil, err
	}
	if bad := checkBody(c, f, vitalChecks, false); len(bad) > 0 {
		return nil, bad
	}
	g, err := vs.find(c)
	if err != nil {
		return nil, err
	}
	changes, err := vs.applyVital(c, g, f, g.time)
	if err != nil {
		return nil, err
	}
	if len(changes) > 0 {
		if _, err := c.h.cfg.Store.WriteAll(c.ctx, changes); err != nil {
			return nil, err
		}
	}
	g, err = vs.find(c)
	if err != nil {
		return nil, err
	}
	v, err := g.record(c.m, vs.pid, vs.eid)
	if err != nil {
		return nil, err
	}
	return &reply{data: v}, nil
}

func vitalRoutes() []Route {
	base := "/patient/{pid}/encounter/{eid}/vital"
	return []Route{
		{Method: http.MethodGet, Path: base, Resource: "vital", Interaction: scope.Search, List: true,
			Summary: "list the vital-signs sets of an encounter", Response: typeOf[Vital](), Status: 200, handle: listVitals},
		{Method: http.MethodPost, Path: base, Resource: "vital", Interaction: scope.Create,
			Summary: "record a vital-signs set", Request: typeOf[Vital](), Response: typeOf[VitalCreated](), Status: 201, handle: createVital},
		{Method: http.MethodGet, Path: base + "/{vid}", Resource: "vital", Interaction: scope.Read,
			Summary: "read a vital-signs set", Response: typeOf[Vital](), Status: 200, handle: getVital},
		{Method: http.MethodPut, Path: base + "/{vid}", Resource: "vital", Interaction: scope.Update,
			Summary: "update a vital-signs set (only the fields sent)", Request: typeOf[Vital](), Response: typeOf[Vital](), Status: 200, handle: updateVital},
	}
}
