package seed

// patient writes one patient and everything recorded about them, in an
// order where references only point backwards: demographics and coverage,
// the problem list, allergies and implants, the visits in date order (each
// closed by its Provenance), the care team, goals and care plan, future
// appointments, and a Provenance for the patient-level records.
func (g *gen) patient(i int) {
	g.reseed(uint64(i) + 1)
	g.plan(i)
	p := &g.p
	g.patientRec = g.patientRec[:0]
	g.track = &g.patientRec

	g.writePatient()
	g.writePerson()
	g.writeCoverage()
	for k := range p.conds {
		g.writeProblem(&p.conds[k])
	}
	for _, a := range p.allergies {
		g.writeAllergy(a)
	}
	g.writeDevices()
	g.writePastImmunizations()
	for k := range p.missed {
		g.writeAppointment(&p.missed[k], p.missed[k].status)
	}
	for k := range p.visits {
		if g.err != nil {
			return
		}
		g.writeVisit(&p.visits[k])
	}
	g.track = &g.patientRec
	g.writeColonoscopy()
	g.writeCarePlanning()
	g.writeUpcoming()
	// Recorded now: some patient-level reports are issued up to today.
	g.writeProvenance(g.patientRec, g.now, p.pcp, &g.sh.practice)
	g.track = nil
}

// subject writes the patient reference every clinical record carries.
func (g *gen) subject(k string) {
	g.w.ref(k, tPatient, &g.p.id, g.p.display)
}

func (g *gen) writePatient() {
	p := &g.p
	id := g.begin(tPatient)
	w := &g.w

	w.arr("extension")
	w.elem()
	w.str("url", extRace)
	w.arr("extension")
	race := races[p.race]
	if race.sys == sysOMB {
		w.elem()
		w.str("url", "ombCategory")
		w.obj("valueCoding")
		w.str("system", race.sys)
		w.str("code", race.code)
		w.str("display", race.display)
		w.end()
		w.end()
	}
	w.elem()
	w.str("url", "text")
	w.str("valueString", race.display)
	w.end()
	w.endArr()
	w.end()

	eth := ethNotHispanic
	if p.hispanic {
		eth = ethHispanic
	}
	w.elem()
	w.str("url", extEthnic)
	w.arr("extension")
	w.elem()
	w.str("url", "ombCategory")
	w.obj("valueCoding")
	w.str("system", eth.sys)
	w.str("code", eth.code)
	w.str("display", eth.display)
	w.end()
	w.end()
	w.elem()
	w.str("url", "text")
	w.str("valueString", eth.display)
	w.end()
	w.endArr()
	w.end()

	w.elem()
	w.str("url", extBirthSex)
	if p.male {
		w.str("valueCode", "M")
	} else {
		w.str("valueCode", "F")
	}
	w.end()
	w.endArr()

	w.arr("identifier")
	w.elem()
	w.str("use", "usual")
	w.cc("type", mrnType.display, mrnType)
	w.str("system", practiceMRNSystem)
	w.key("value")
	w.b = append(w.b, '"')
	w.b = g.appendMRN(w.b, p.idx)
	w.b = append(w.b, '"')
	w.end()
	if p.age >= 1 {
		w.elem()
		w.cc("type", ssnType.display, ssnType)
		w.str("system", sysSSN)
		w.key("value")
		w.b = append(w.b, '"')
		w.b = g.appendSSN(w.b, p.idx)
		w.b = append(w.b, '"')
		w.end()
	}
	w.endArr()
	w.boolean("active", true)

	w.arr("name")
	w.elem()
	w.str("use", "official")
	w.key("text")
	w.b = append(w.b, '"')
	w.b = append(w.b, p.given...)
	if p.middle != "" {
		w.b = append(w.b, ' ')
		w.b = append(w.b, p.middle...)
	}
	w.b = append(w.b, ' ')
	w.b = append(w.b, p.family...)
	w.b = append(w.b, '"')
	w.str("family", p.family)
	w.arr("given")
	w.strElem(p.given)
	if p.middle != "" {
		w.strElem(p.middle)
	}
	w.endArr()
	w.end()
	if p.nick != "" {
		w.elem()
		w.str("use", "nickname")
		w.arr("given")
		w.strElem(p.nick)
		w.endArr()
		w.end()
	}
	w.endArr()

	g.writeTelecom(true)
	if p.male {
		w.str("gender", "male")
	} else {
		w.str("gender", "female")
	}
	w.date("birthDate", p.birth)
	w.address("address", &p.addr, "home", true)
	if p.marital >= 0 {
		ms := maritalStatuses[p.marital]
		w.cc("maritalStatus", ms.display, ms)
	}
	w.arr("communication")
	w.elem()
	lang := languages[p.lang]
	w.cc("language", lang.display, lang)
	w.boolean("preferred", true)
	w.end()
	w.endArr()
	w.refList("generalPractitioner", tPractitioner, &p.pcp.id, p.pcp.display)
	w.ref("managingOrganization", tOrganization, &g.sh.practice, practiceName)
	g.finish(tPatient, &id)
}

// practiceMRNSystem is the namespace of the practice's medical record
// numbers (an OID arc registered for examples).
const practiceMRNSystem = "urn:oid:2.16.840.1.113883.3.7418.1"

// appendMRN writes the patient's medical record number: unique per patient,
// offset by the seed so two data sets do not share numbers.
func (g *gen) appendMRN(b []byte, idx int) []byte {
	base := mix64(g.seed^0x4d524e) % 8_000_000
	return appendPadded(b, 1_000_000+base+uint64(idx), 8)
}

// appendSSN writes a Social Security number in the 9xx area, which the
// Social Security Administration never assigns. The multiplier is coprime
// to 10^8, so patients get distinct numbers.
func (g *gen) appendSSN(b []byte, idx int) []byte {
	v := (uint64(idx)*7919 + mix64(g.seed^0x53534e)) % 100_000_000
	var d [8]byte
	for i := 7; i >= 0; i-- {
		d[i] = byte('0' + v%10)
		v /= 10
	}
	b = append(b, '9', d[0], d[1], '-', d[2], d[3], '-')
	return append(b, d[4:]...)
}

func (g *gen) writeTelecom(withEmail bool) {
	p := &g.p
	w := &g.w
	area := p.addr.cityOf().area
	w.arr("telecom")
	w.telecomPhone("home", area, p.homeLine)
	if p.age >= 13 {
		w.telecomPhone("mobile", area, p.mobileLine)
		if withEmail {
			w.elem()
			w.str("system", "email")
			w.key("value")
			w.b = append(w.b, '"')
			w.b = appendEmailLocal(w.b, p.given, p.family)
			w.b = append2(w.b, (p.idx*37)%100)
			w.b = append(w.b, "@example.com"...)
			w.b = append(w.b, '"')
			w.str("use", "home")
			w.end()
		}
	}
	w.endArr()
}

func (g *gen) writePerson() {
	p := &g.p
	id := g.begin(tPerson)
	w := &g.w
	w.arr("name")
	w.elem()
	w.str("use", "official")
	w.str("family", p.family)
	w.arr("given")
	w.strElem(p.given)
	w.endArr()
	w.end()
	w.endArr()
	g.writeTelecom(false)
	if p.male {
		w.str("gender", "male")
	} else {
		w.str("gender", "female")
	}
	w.date("birthDate", p.birth)
	w.address("address", &p.addr, "home", true)
	w.ref("managingOrganization", tOrganization, &g.sh.practice, practiceName)
	w.boolean("active", true)
	w.arr("link")
	w.elem()
	w.ref("target", tPatient, &p.id, p.display)
	w.str("assurance", "level3")
	w.end()
	w.endArr()
	g.finish(tPerson, &id)
}

// writeCoverage writes the patient's insurance: Medicare from 65 (with the
// earlier plan ended the day before, when that falls in the record window),
// Medicaid or a private plan before, and no coverage for a few.
func (g *gen) writeCoverage() {
	p := &g.p
	if p.age < 65 && g.chance(0.07) {
		return // uninsured
	}
	private := 2 + g.intn(len(insurerDefs)-2)
	switch {
	case p.age >= 65:
		at65 := addYears(p.birth, 65)
		if at65 > p.winStart {
			g.coverage(private, max(p.winStart-g.between(200, 2000), p.birth), at65-1)
		}
		g.coverage(0, max(at65, p.winStart-g.between(0, 3000)), noDay)
	case g.chance(band(p.age, 0.35, 0.15, 0.12, 0)):
		g.coverage(1, max(p.birth, p.winStart-g.between(0, 2000)), noDay)
	default:
		g.coverage(private, max(p.birth, p.winStart-g.between(0, 2000)), noDay)
	}
}

func (g *gen) coverage(ins, start, end int) {
	p := &g.p
	d := &insurerDefs[ins]
	id := g.begin(tCoverage)
	w := &g.w
	w.arr("identifier")
	w.elem()
	w.cc("type", memberNo.display, memberNo)
	w.str("system", "urn:oid:2.16.840.1.113883.3.7418.9."+d.sopt.code)
	w.key("value")
	w.b = append(w.b, '"')
	g.appendMemberID(ins)
	w.b = append(w.b, '"')
	w.end()
	w.endArr()
	if end == noDay {
		w.str("status", "active")
	} else {
		w.str("status", "cancelled")
	}
	w.cc("type", d.sopt.display, d.sopt)
	w.key("subscriberId")
	w.b = append(w.b, '"')
	g.appendMemberID(ins)
	w.b = append(w.b, '"')
	w.ref("beneficiary", tPatient, &p.id, p.display)
	rel := relSelf
	switch {
	case p.age < 18 || (p.age < 26 && d.kind == payPrivate && g.chance(0.5)):
		rel = relChild
	case p.marital == 1 && d.kind == payPrivate && g.chance(0.4):
		rel = relSpouse
	}
	w.cc("relationship", rel.display, rel)
	w.periodDays("period", start, end)
	w.refList("payor", tOrganization, &g.sh.insurers[ins], d.name)
	plan := d.plans[g.intn(2)]
	w.arr("class")
	w.elem()
	w.cc("type", clsGroup.display, clsGroup)
	w.key("value")
	w.b = append(w.b, '"', 'G')
	w.b = appendPadded(w.b, uint64(1000+g.intn(9000)), 4)
	w.b = append(w.b, '"')
	w.str("name", d.name+" group")
	w.end()
	w.elem()
	w.cc("type", clsPlan.display, clsPlan)
	w.str("value", "P"+d.sopt.code)
	w.str("name", plan)
	w.end()
	w.endArr()
	g.finish(tCoverage, &id)
}

// appendMemberID writes the member number an insurer gave the patient:
// stable per patient and insurer.
func (g *gen) appendMemberID(ins int) {
	v := mix64(g.seed^uint64(g.p.idx)<<8^uint64(ins)) % 1_000_000_000
	g.w.b = append(g.w.b, insurerDefs[ins].name[0])
	g.w.b = appendPadded(g.w.b, v, 9)
}
