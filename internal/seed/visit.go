package seed

// visitState carries what the records of one visit share: where and by
// whom it happened, and the measurements the note quotes.
type visitState struct {
	v         *visit
	enc       uid
	age       int
	ageF      float64 // age in years, fractional
	loc       *uid
	locName   string
	org       *uid
	orgName   string
	addressed []int // indexes of the problems this visit addressed

	vitals         bool
	sys, dia       int
	hr, rr, spo2   int
	temp, wt, ht   float64
	bmi            float64
	panels         uint16 // lab panels ordered, bit per panelKind
	abnormal       int    // lab results out of range
	resultsWritten int
	troponinHigh   bool
	latest         int64 // the latest time among the visit's records
}

var (
	partPrimary  = term{"http://terminology.hl7.org/CodeSystem/v3-ParticipationType", "PPRF", "primary performer"}
	partAttender = term{"http://terminology.hl7.org/CodeSystem/v3-ParticipationType", "ATND", "attender"}
	catProblem   = term{sysCondCat, "problem-list-item", "Problem List Item"}
	catDiagnosis = term{sysCondCat, "encounter-diagnosis", "Encounter Diagnosis"}
	verConfirmed = term{sysCondVer, "confirmed", "Confirmed"}
)

// writeVisit writes an encounter with everything recorded during it, and
// the Provenance that attests those records.
func (g *gen) writeVisit(v *visit) {
	p := &g.p
	g.visitRecs = g.visitRecs[:0]
	g.track = &g.visitRecs
	s := &g.v
	*s = visitState{v: v, addressed: s.addressed[:0]}
	s.age = ageAt(p.birth, v.day)
	s.ageF = float64(v.day-p.birth) / 365.25
	m := p.addr.metro
	switch v.kind {
	case visitEmergency:
		s.loc, s.locName = g.sh.location(m, siteED)
		s.org, s.orgName = &g.sh.hospital, hospitalName
	case visitInpatient:
		s.loc, s.locName = g.sh.location(m, siteWard)
		s.org, s.orgName = &g.sh.hospital, hospitalName
	default:
		s.loc, s.locName = g.sh.location(m, siteClinic)
		s.org, s.orgName = &g.sh.practice, practiceName
	}
	for i := range p.conds {
		c := &p.conds[i]
		if !c.activeOn(v.day) {
			continue
		}
		switch v.kind {
		case visitWell:
			s.addressed = append(s.addressed, i)
		case visitFollowUp:
			if c.nMeds > 0 || len(chronicDefs[c.kind].labs) > 0 {
				s.addressed = append(s.addressed, i)
			}
		}
	}

	var appt uid
	if v.appt {
		appt = g.writeAppointment(v, "fulfilled")
	}
	g.writeEncounter(v, &appt)
	p.dx = p.dx[:0]
	if v.acute != noAcute {
		g.writeDiagnosis(v)
	}
	g.writeVitals()
	if v.kind == visitWell && s.age >= 13 {
		g.writeSmoking()
		if s.age >= 18 {
			g.writeAlcohol()
		}
	}
	g.writeLabs()
	g.writeVisitProcedures()
	g.writeOrders()
	g.writeVisitImmunizations()
	g.writeVisitNotes()
	g.seen(v.end)
	g.writeProvenance(g.visitRecs, g.clampNow(s.latest+int64(g.between(1, 30))*60), v.prac, s.org)
	g.track = &g.patientRec
}

// during returns a time between from and to minutes into the current
// visit, kept inside it: what was done at a visit happened during it.
func (g *gen) during(from, to int) int64 {
	v := g.v.v
	return min(v.start+int64(g.between(from, to))*60, v.end-60)
}

func (g *gen) writeEncounter(v *visit, appt *uid) {
	s := &g.v
	id := g.begin(tEncounter)
	s.enc = id
	w := &g.w
	w.str("status", "finished")
	class := classAmbulatory
	switch v.kind {
	case visitEmergency:
		class = classEmergency
	case visitInpatient:
		class = classInpatient
	}
	w.obj("class")
	w.str("system", class.sys)
	w.str("code", class.code)
	w.str("display", class.display)
	w.end()
	snomed, bill, text := visitType(v.kind, s.age)
	w.ccList("type", text, snomed, bill)
	g.subject("subject")
	w.arr("participant")
	w.elem()
	if v.kind == visitInpatient {
		w.ccList("type", "", partAttender)
	} else {
		w.ccList("type", "", partPrimary)
	}
	w.period("period", v.start, v.end)
	w.ref("individual", tPractitioner, &v.prac.id, v.prac.display)
	w.end()
	w.endArr()
	if v.appt {
		w.refList("appointment", tAppointment, appt, "")
	}
	w.period("period", v.start, v.end)
	p := &g.p
	switch {
	case v.kind == visitWell && s.age < 18:
		w.ccList("reasonCode", "", reasonChildExam)
	case v.kind == visitWell:
		w.ccList("reasonCode", "", reasonAdultExam)
	case v.acute != noAcute:
		d := &acuteDefs[v.acute]
		w.ccList("reasonCode", d.snomed.display, d.snomed)
	case len(s.addressed) > 0:
		w.arr("reasonCode")
		for _, i := range s.addressed {
			d := &chronicDefs[p.conds[i].kind]
			w.ccElem(d.snomed.display, d.snomed)
		}
		w.endArr()
		w.arr("reasonReference")
		for _, i := range s.addressed {
			c := &p.conds[i]
			w.refElem(tCondition, &c.id, chronicDefs[c.kind].snomed.display)
		}
		w.endArr()
	}
	if v.kind == visitInpatient {
		w.obj("hospitalization")
		w.cc("dischargeDisposition", dischargeHome.display, dischargeHome)
		w.end()
	}
	w.arr("location")
	w.elem()
	w.ref("location", tLocation, s.loc, s.locName)
	w.str("status", "completed")
	w.period("period", v.start, v.end)
	w.end()
	w.endArr()
	w.ref("serviceProvider", tOrganization, s.org, s.orgName)
	g.finish(tEncounter, &id)
}

// writeDiagnosis records the acute problem the visit found.
func (g *gen) writeDiagnosis(v *visit) {
	p := &g.p
	d := &acuteDefs[v.acute]
	id := g.begin(tCondition)
	p.dx = append(p.dx, id)
	w := &g.w
	abated := v.day + d.days
	if abated < g.today {
		w.cc("clinicalStatus", "", clinResolved)
	} else {
		w.cc("clinicalStatus", "", clinActive)
	}
	w.cc("verificationStatus", "", verConfirmed)
	w.ccList("category", "", catDiagnosis)
	w.cc("code", d.snomed.display, d.snomed, d.icd)
	g.subject("subject")
	w.ref("encounter", tEncounter, &g.v.enc, "")
	w.date("onsetDateTime", max(v.day-g.between(0, 3), p.birth))
	if abated < g.today {
		w.date("abatementDateTime", abated)
	}
	w.dateTime("recordedDate", g.during(5, 20))
	w.ref("recorder", tPractitioner, &v.prac.id, v.prac.display)
	w.ref("asserter", tPractitioner, &v.prac.id, v.prac.display)
	g.finish(tCondition, &id)
}

// writeProblem writes a problem-list entry.
func (g *gen) writeProblem(c *cond) {
	p := &g.p
	d := &chronicDefs[c.kind]
	id := g.begin(tCondition)
	c.id = id
	w := &g.w
	w.cc("clinicalStatus", "", c.status)
	w.cc("verificationStatus", "", verConfirmed)
	w.ccList("category", "", catProblem)
	w.cc("code", d.snomed.display, d.snomed, d.icd)
	g.subject("subject")
	w.date("onsetDateTime", c.onset)
	if c.abated != noDay {
		w.date("abatementDateTime", c.abated)
	}
	w.date("recordedDate", c.recorded)
	w.ref("recorder", tPractitioner, &p.pcp.id, p.pcp.display)
	g.finish(tCondition, &id)
}

var (
	allergyActive    = term{sysAllergyClin, "active", "Active"}
	allergyConfirmed = term{sysAllergyVer, "confirmed", "Confirmed"}
)

func (g *gen) writeAllergy(a allergyKind) {
	p := &g.p
	d := &allergyDefs[a]
	id := g.begin(tAllergyIntolerance)
	w := &g.w
	w.cc("clinicalStatus", "", allergyActive)
	w.cc("verificationStatus", "", allergyConfirmed)
	recorded := g.between(max(p.birth+1, p.winStart-3000), max(p.birth+1, g.today-1))
	if a != alNone {
		if d.intolerance {
			w.str("type", "intolerance")
		} else {
			w.str("type", "allergy")
		}
		w.arr("category")
		w.strElem(d.category)
		w.endArr()
		if d.high {
			w.str("criticality", "high")
		} else {
			w.str("criticality", "low")
		}
	}
	w.cc("code", d.code.display, d.code)
	w.ref("patient", tPatient, &p.id, p.display)
	if a != alNone {
		w.date("onsetDateTime", g.between(p.birth, recorded))
	}
	w.date("recordedDate", recorded)
	w.ref("recorder", tPractitioner, &p.pcp.id, p.pcp.display)
	if a != alNone {
		w.arr("reaction")
		w.elem()
		w.arr("manifestation")
		r := d.reactions[g.intn(len(d.reactions))]
		w.ccElem(r.display, r)
		w.endArr()
		switch {
		case r == rxAnaphylaxis:
			w.str("severity", "severe")
		case g.chance(0.6):
			w.str("severity", "mild")
		default:
			w.str("severity", "moderate")
		}
		w.end()
		w.endArr()
	}
	g.finish(tAllergyIntolerance, &id)
}
