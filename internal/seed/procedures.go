package seed

// Procedures done at visits (screenings, imaging, ECGs, wound repair),
// screening colonoscopies on their own day, and implanted devices with the
// operation that placed them.

func (g *gen) writeVisitProcedures() {
	p := &g.p
	s := &g.v
	v := s.v
	switch v.kind {
	case visitFollowUp:
		if g.chance(0.6) {
			g.writeProcedure(pMedRecon, g.during(5, 20), 0, v.prac, nil, true)
		}
	case visitWell:
		if s.age >= 12 && g.chance(0.45) {
			g.writeProcedure(pDepressionScreen, g.during(10, 20), 0, v.prac, nil, true)
		}
		if !p.male && s.age >= 40 && s.age < 75 && (p.lastMammo == noDay || v.day-p.lastMammo > 700) && g.chance(0.55) {
			p.lastMammo = v.day
			at := g.during(15, 30)
			rad := g.sh.prac(pkRadiology, 0)
			g.writeProcedure(pMammography, at, 0, rad, nil, true)
			g.writeImagingReport(pMammography, at, rad)
		}
		if s.age >= 45 && s.age < 76 && p.lastColon == noDay && g.chance(0.12) {
			// Referred today, done a few weeks later: written with the
			// patient-level records once the visits are out.
			p.lastColon = v.day + g.between(14, 40)
		}
	}
	if v.acute == noAcute {
		return
	}
	for _, k := range acuteDefs[v.acute].procs {
		at := g.during(10, 60)
		switch k {
		case pECG:
			g.writeProcedure(k, at, 0, v.prac, &g.p.dx[0], true)
			g.writeCardiologyReport(at)
		case pChestXray:
			rad := g.sh.prac(pkRadiology, 0)
			g.writeProcedure(k, at, 0, rad, &g.p.dx[0], true)
			g.writeImagingReport(k, at, rad)
		case pSuture:
			g.writeProcedure(k, at, at+int64(procDefs[k].minutes)*60, v.prac, &g.p.dx[0], true)
			g.writeProcedureNote(k, at, v.prac, true)
		default:
			g.writeProcedure(k, at, 0, v.prac, &g.p.dx[0], true)
		}
	}
}

// writeProcedure writes a completed procedure; end 0 means it is recorded
// with a single time, otherwise with a period. inVisit links it to the
// current encounter.
func (g *gen) writeProcedure(k procKind, at, end int64, by *clinician, reason *uid, inVisit bool) uid {
	d := &procDefs[k]
	s := &g.v
	id := g.begin(tProcedure)
	w := &g.w
	w.str("status", "completed")
	if d.cpt.code != "" {
		w.cc("code", d.snomed.display, d.snomed, d.cpt)
	} else {
		w.cc("code", d.snomed.display, d.snomed)
	}
	g.subject("subject")
	if inVisit {
		w.ref("encounter", tEncounter, &s.enc, "")
	}
	if end != 0 {
		w.period("performedPeriod", at, end)
	} else {
		w.dateTime("performedDateTime", at)
	}
	w.arr("performer")
	w.elem()
	w.ref("actor", tPractitioner, &by.id, by.display)
	w.end()
	w.endArr()
	if inVisit {
		w.ref("location", tLocation, s.loc, s.locName)
	}
	if reason != nil {
		w.refList("reasonReference", tCondition, reason, "")
	}
	g.finish(tProcedure, &id)
	return id
}

// writeColonoscopy writes a screening colonoscopy done after the referral
// visit, with its note and, when polyps were removed, the pathology report.
func (g *gen) writeColonoscopy() {
	p := &g.p
	day := p.lastColon
	if day == noDay || day >= g.today {
		return
	}
	gi := g.sh.prac(pkGastro, 0)
	at := int64(day)*daySeconds + 14*3600 + int64(g.intn(12))*15*60
	end := at + int64(procDefs[pColonoscopy].minutes)*60
	d := &procDefs[pColonoscopy]
	id := g.begin(tProcedure)
	w := &g.w
	w.str("status", "completed")
	w.cc("code", d.snomed.display, d.snomed, d.cpt)
	g.subject("subject")
	w.period("performedPeriod", at, end)
	w.arr("performer")
	w.elem()
	w.ref("actor", tPractitioner, &gi.id, gi.display)
	w.end()
	w.endArr()
	loc, name := g.sh.location(p.addr.metro, siteClinic)
	w.ref("location", tLocation, loc, name)
	g.finish(tProcedure, &id)
	polyp := g.chance(0.3)
	g.text = g.text[:0]
	g.noteHeader("PROCEDURE NOTE", gi, at)
	g.line("Procedure: Screening colonoscopy to the cecum.")
	g.line("Preparation: Good. Withdrawal time 8 minutes.")
	if polyp {
		g.line("Findings: One 6 mm sessile polyp in the sigmoid colon, removed by cold snare and sent to pathology.")
	} else {
		g.line("Findings: Normal colonic mucosa. No polyps.")
	}
	g.line("Plan: Repeat colonoscopy in 10 years, or as advised by pathology.")
	g.writeDocument(noteProcedure, gi, g.clampNow(end+3600), at, end, false)
	if polyp {
		path := g.sh.prac(pkPathology, 0)
		g.text = g.text[:0]
		g.noteHeader("SURGICAL PATHOLOGY REPORT", path, end)
		g.line("Specimen: Sigmoid colon polyp, cold snare polypectomy.")
		g.line("Diagnosis: Tubular adenoma. Negative for high-grade dysplasia.")
		issued := g.clampNow(end + int64(g.between(2, 5))*daySeconds)
		g.writeNoteReport(catPathology, notePathology, path, end, issued, false)
		g.writeDocument(notePathology, path, issued, end, end, false)
	}
}

// writeDevices writes implants that fit the patient's problems, each with
// the operation that placed it.
func (g *gen) writeDevices() {
	p := &g.p
	for i := range p.conds {
		c := &p.conds[i]
		switch {
		case c.kind == cCAD && g.chance(0.35):
			g.writeImplant(dStent, c)
		case c.kind == cAFib && g.chance(0.15):
			g.writeImplant(dPacemaker, c)
		case c.kind == cHF && g.chance(0.2):
			g.writeImplant(dICD, c)
		case c.kind == cOAKnee && p.age >= 60 && g.chance(0.1):
			g.writeImplant(dHip, nil)
		}
	}
}

func (g *gen) writeImplant(k deviceKind, c *cond) {
	p := &g.p
	dd := &deviceDefs[k]
	from := addYears(p.birth, 50)
	if c != nil {
		from = max(from, c.onset)
	}
	to := g.today - 30
	if from > to {
		return
	}
	day := g.between(from, to)
	made := day - g.between(60, 400)
	expires := made + 3*365
	lot := uint64(g.intn(1_000_000))
	serial := uint64(g.intn(100_000_000))
	di := gtin14(dd.gtin)

	id := g.begin(tDevice)
	w := &g.w
	w.arr("udiCarrier")
	w.elem()
	w.str("deviceIdentifier", di)
	w.str("issuer", "http://hl7.org/fhir/NamingSystem/gs1-di")
	w.str("jurisdiction", "http://hl7.org/fhir/NamingSystem/fda-udi")
	w.key("carrierHRF")
	w.b = append(w.b, `"(01)`...)
	w.b = append(w.b, di...)
	w.b = append(w.b, "(11)"...)
	w.b = appendYYMMDD(w.b, made)
	w.b = append(w.b, "(17)"...)
	w.b = appendYYMMDD(w.b, expires)
	w.b = append(w.b, "(10)"...)
	w.b = appendPadded(w.b, lot, 6)
	w.b = append(w.b, "(21)"...)
	w.b = appendPadded(w.b, serial, 8)
	w.b = append(w.b, '"')
	w.end()
	w.endArr()
	w.str("status", "active")
	w.str("manufacturer", dd.manufacturer)
	w.date("manufactureDate", made)
	if expires < g.today {
		w.date("expirationDate", expires)
	}
	w.key("lotNumber")
	w.b = append(w.b, '"')
	w.b = appendPadded(w.b, lot, 6)
	w.b = append(w.b, '"')
	w.key("serialNumber")
	w.b = append(w.b, '"')
	w.b = appendPadded(w.b, serial, 8)
	w.b = append(w.b, '"')
	w.arr("deviceName")
	w.elem()
	w.str("name", dd.name)
	w.str("type", "user-friendly-name")
	w.end()
	w.endArr()
	w.str("modelNumber", dd.model)
	w.cc("type", dd.snomed.display, dd.snomed)
	w.ref("patient", tPatient, &p.id, p.display)
	g.finish(tDevice, &id)

	surgeon := g.sh.prac(pkCardiology, 0)
	if k == dHip {
		surgeon = g.sh.prac(pkOrtho, 0)
	}
	pd := &procDefs[dd.implant]
	at := int64(day)*daySeconds + 14*3600
	pid := g.begin(tProcedure)
	w.str("status", "completed")
	w.cc("code", pd.snomed.display, pd.snomed, pd.cpt)
	g.subject("subject")
	w.period("performedPeriod", at, at+int64(pd.minutes)*60)
	w.arr("performer")
	w.elem()
	w.ref("actor", tPractitioner, &surgeon.id, surgeon.display)
	w.end()
	w.endArr()
	loc, name := g.sh.location(p.addr.metro, siteWard)
	w.ref("location", tLocation, loc, name)
	if c != nil {
		w.refList("reasonReference", tCondition, &c.id, chronicDefs[c.kind].snomed.display)
	}
	w.arr("focalDevice")
	w.elem()
	w.ref("manipulated", tDevice, &id, dd.name)
	w.end()
	w.endArr()
	g.finish(tProcedure, &pid)
}

// gtin14 appends the GS1 check digit to a 13-digit item number.
func gtin14(s string) string {
	sum := 0
	for i := len(s) - 1; i >= 0; i-- {
		v := int(s[i] - '0')
		if (len(s)-1-i)%2 == 0 {
			v *= 3
		}
		sum += v
	}
	return s + string(rune('0'+(10-sum%10)%10))
}

func appendYYMMDD(b []byte, day int) []byte {
	y, m, d := civil(day)
	b = append2(b, y%100)
	b = append2(b, m)
	return append2(b, d)
}
