package seed

import "strconv"

// Clinical notes. Each visit is documented by a short plain-text note in a
// DocumentReference; imaging, ECG and pathology results are note
// DiagnosticReports carrying the report text as presentedForm. The text is
// built from the same model as the structured records, so it agrees with
// them.

const (
	ihaFormatSystem = "http://ihe.net/fhir/ihe.formatcode.fhir/CodeSystem/formatcode"
	ihaMimeType     = "urn:ihe:iti:xds:2017:mimeTypeSufficient"
)

var (
	imgChestXray   = loinc("36643-5", "XR Chest 2 Views")
	imgMammography = loinc("24606-6", "MG Breast Screening")
	ecgStudy       = loinc("11524-6", "EKG study")
)

// Note text helpers append to g.text.

func (g *gen) line(s string) {
	g.text = append(g.text, s...)
	g.text = append(g.text, '\n')
}

func (g *gen) put(s string)               { g.text = append(g.text, s...) }
func (g *gen) putInt(v int)               { g.text = strconv.AppendInt(g.text, int64(v), 10) }
func (g *gen) putDec(v float64, prec int) { g.text = strconv.AppendFloat(g.text, v, 'f', prec, 64) }

func (g *gen) noteHeader(title string, author *clinician, at int64) {
	p := &g.p
	g.line(title)
	g.put("Patient: ")
	g.put(p.display)
	g.put("   DOB: ")
	g.text = appendDate(g.text, p.birth)
	if p.male {
		g.put("   Sex: male\n")
	} else {
		g.put("   Sex: female\n")
	}
	g.put("Date: ")
	g.text = appendDateTime(g.text, at)
	g.put("   Author: ")
	g.put(author.display)
	g.put("\n\n")
}

func (g *gen) putVitals() {
	s := &g.v
	if !s.vitals {
		return
	}
	g.put("Vitals: ")
	if s.age >= 3 {
		g.put("BP ")
		g.putInt(s.sys)
		g.put("/")
		g.putInt(s.dia)
		g.put(" mmHg, ")
	}
	g.put("HR ")
	g.putInt(s.hr)
	g.put("/min, RR ")
	g.putInt(s.rr)
	g.put("/min, Temp ")
	g.putDec(round(s.temp, 1), 1)
	g.put(" C, SpO2 ")
	g.putInt(s.spo2)
	g.put("%, Weight ")
	g.putDec(round(s.wt, 1), 1)
	g.put(" kg.\n")
}

func (g *gen) putPatientLine(reason string) {
	p := &g.p
	s := &g.v
	g.put("Subjective: ")
	if s.age >= 2 {
		g.putInt(s.age)
		g.put("-year-old ")
	} else {
		g.putInt(int(s.ageF * 12))
		g.put("-month-old ")
	}
	switch {
	case s.age < 18 && p.male:
		g.put("boy ")
	case s.age < 18:
		g.put("girl ")
	case p.male:
		g.put("man ")
	default:
		g.put("woman ")
	}
	g.put(reason)
	g.put(".\n")
}

// writeVisitNotes documents the visit.
func (g *gen) writeVisitNotes() {
	p := &g.p
	s := &g.v
	v := s.v
	noteAt := g.clampNow(v.end + int64(g.between(10, 120))*60)
	g.text = g.text[:0]
	typ := noteProgress
	switch v.kind {
	case visitWell:
		typ = noteHP
		g.noteHeader("PREVENTIVE VISIT - HISTORY AND PHYSICAL", v.prac, v.start)
		if s.age < 18 {
			g.putPatientLine("here for a well child check with a parent")
		} else {
			g.putPatientLine("here for an annual preventive visit")
		}
	case visitFollowUp:
		g.noteHeader("PROGRESS NOTE", v.prac, v.start)
		g.putPatientLine("here for follow-up of chronic conditions")
	case visitInpatient:
		typ = noteHP
		g.noteHeader("ADMISSION HISTORY AND PHYSICAL", v.prac, v.start)
		g.putPatientLine("admitted with " + acuteDefs[v.acute].symptom)
	case visitEmergency:
		g.noteHeader("EMERGENCY DEPARTMENT NOTE", v.prac, v.start)
		g.putPatientLine("presenting with " + acuteDefs[v.acute].symptom)
	default:
		g.noteHeader("PROGRESS NOTE", v.prac, v.start)
		g.putPatientLine("presenting with " + acuteDefs[v.acute].symptom)
	}
	g.putVitals()
	g.put("Assessment:\n")
	if v.acute != noAcute {
		d := &acuteDefs[v.acute]
		g.put("- ")
		g.put(d.snomed.display)
		g.put(" (")
		g.put(d.icd.code)
		g.put(")\n")
	}
	for _, i := range s.addressed {
		d := &chronicDefs[p.conds[i].kind]
		g.put("- ")
		g.put(d.snomed.display)
		g.put(" (")
		g.put(d.icd.code)
		g.put("), stable\n")
	}
	if v.acute == noAcute && len(s.addressed) == 0 {
		g.line("- Healthy; age-appropriate screening and counseling done.")
	}
	g.put("Plan:\n")
	if s.panels != 0 {
		g.line("- Laboratory studies ordered; results to be reviewed with the patient.")
	}
	for _, i := range s.addressed {
		c := &p.conds[i]
		for k := 0; k < c.nMeds; k++ {
			g.put("- Continue ")
			g.put(medDefs[c.meds[k]].rx.display)
			g.put(".\n")
		}
	}
	if v.acute != noAcute {
		for _, m := range acuteDefs[v.acute].meds {
			g.put("- ")
			g.put(medDefs[m].rx.display)
			g.put(": ")
			g.put(medDefs[m].sig)
			g.put(".\n")
		}
		g.line("- Return precautions reviewed.")
	}
	if v.kind == visitWell {
		g.line("- Return in one year for the next preventive visit.")
	} else if v.kind == visitFollowUp {
		g.line("- Follow up in three to six months.")
	}
	g.writeDocument(typ, v.prac, noteAt, v.start, v.end, true)

	if v.kind == visitInpatient {
		g.text = g.text[:0]
		g.noteHeader("DISCHARGE SUMMARY", v.prac, v.end)
		d := &acuteDefs[v.acute]
		g.put("Admission diagnosis: ")
		g.line(d.snomed.display)
		g.put("Hospital course: Treated with supportive care and ")
		if len(d.meds) > 0 {
			g.put(medDefs[d.meds[0]].rx.display)
		} else {
			g.put("observation")
		}
		g.line("; improved steadily.")
		g.line("Condition at discharge: Stable. Discharged home.")
		g.line("Follow-up: Primary care within 7 days.")
		g.writeDocument(noteDischarge, v.prac, g.clampNow(v.end+1800), v.start, v.end, true)
	}
	if v.acute == aChestPain {
		cardio := g.sh.prac(pkCardiology, 0)
		g.text = g.text[:0]
		g.noteHeader("CARDIOLOGY CONSULTATION", cardio, v.start+3600)
		g.line("Reason for consultation: Chest pain.")
		g.putVitals()
		if s.troponinHigh {
			g.line("Impression: Mildly elevated troponin without ischemic ECG changes; likely demand ischemia.")
			g.line("Recommendation: Repeat troponin in 3 hours; cardiology clinic within 48 hours for stress testing.")
		} else {
			g.line("Impression: Low probability of acute coronary syndrome; troponin within normal limits.")
			g.line("Recommendation: Outpatient stress testing; continue aspirin.")
		}
		g.writeDocument(noteConsult, cardio, g.clampNow(v.end), v.start, v.end, true)
	}
	if s.resultsWritten > 0 && g.chance(0.25) {
		g.text = g.text[:0]
		g.noteHeader("LABORATORY REPORT", v.prac, v.end)
		g.put("Results reviewed: ")
		g.putInt(s.resultsWritten)
		g.put(" tests, ")
		g.putInt(s.abnormal)
		g.put(" outside the reference range.\n")
		if s.abnormal == 0 {
			g.line("All results within normal limits. Patient notified.")
		} else {
			g.line("Abnormal results discussed with the patient; see plan.")
		}
		g.writeDocument(noteLab, v.prac, g.clampNow(v.end+int64(g.between(12, 48))*3600), v.start, v.end, true)
	}
}

// writeDocument writes g.text as a clinical note. inVisit links it to the
// current encounter; start and end are the period of care it covers.
func (g *gen) writeDocument(typ term, author *clinician, date, start, end int64, inVisit bool) {
	s := &g.v
	g.seen(date)
	id := g.begin(tDocumentReference)
	w := &g.w
	w.str("status", "current")
	w.str("docStatus", "final")
	w.cc("type", typ.display, typ)
	w.ccList("category", catClinicalNote.display, catClinicalNote)
	g.subject("subject")
	w.dateTime("date", date)
	w.refList("author", tPractitioner, &author.id, author.display)
	if inVisit {
		w.ref("custodian", tOrganization, s.org, s.orgName)
	} else {
		w.ref("custodian", tOrganization, &g.sh.practice, practiceName)
	}
	w.arr("content")
	w.elem()
	w.obj("attachment")
	w.str("contentType", "text/plain")
	w.str("language", "en-US")
	w.base64("data", g.text)
	w.str("title", typ.display)
	w.dateTime("creation", date)
	w.end()
	w.obj("format")
	w.str("system", ihaFormatSystem)
	w.str("code", ihaMimeType)
	w.str("display", "mimeType Sufficient")
	w.end()
	w.end()
	w.endArr()
	w.obj("context")
	if inVisit {
		w.refList("encounter", tEncounter, &s.enc, "")
	}
	w.period("period", start, end)
	w.end()
	g.finish(tDocumentReference, &id)
}

// writeNoteReport writes g.text as a note DiagnosticReport.
func (g *gen) writeNoteReport(cat, code term, author *clinician, effective, issued int64, inVisit bool) {
	s := &g.v
	g.seen(issued)
	id := g.begin(tDiagnosticReport)
	w := &g.w
	w.str("status", "final")
	w.ccList("category", cat.display, cat)
	w.cc("code", code.display, code)
	g.subject("subject")
	if inVisit {
		w.ref("encounter", tEncounter, &s.enc, "")
	}
	w.dateTime("effectiveDateTime", effective)
	w.dateTime("issued", issued)
	w.refList("performer", tPractitioner, &author.id, author.display)
	w.refList("resultsInterpreter", tPractitioner, &author.id, author.display)
	w.arr("presentedForm")
	w.elem()
	w.str("contentType", "text/plain")
	w.str("language", "en-US")
	w.base64("data", g.text)
	w.str("title", code.display)
	w.dateTime("creation", issued)
	w.end()
	w.endArr()
	g.finish(tDiagnosticReport, &id)
}

// writeImagingReport writes the radiology report of an imaging procedure
// and files it as a document too.
func (g *gen) writeImagingReport(k procKind, at int64, rad *clinician) {
	s := &g.v
	issued := g.clampNow(at + int64(g.between(1, 6))*3600)
	code := imgChestXray
	g.text = g.text[:0]
	switch k {
	case pMammography:
		code = imgMammography
		g.noteHeader("MAMMOGRAPHY REPORT", rad, at)
		g.line("Exam: Bilateral screening mammogram, 2 views each breast.")
		g.line("Breast density: Scattered areas of fibroglandular density.")
		g.line("Findings: No suspicious mass, calcification or architectural distortion.")
		g.line("Impression: BI-RADS 1, negative. Routine screening recommended.")
	default:
		g.noteHeader("RADIOLOGY REPORT", rad, at)
		g.line("Exam: Chest radiograph, PA and lateral views.")
		if s.v.acute == aPneumonia || s.v.acute == aCOVID {
			g.line("Findings: Patchy consolidation in the right lower lobe. No pleural effusion or pneumothorax.")
			g.line("Impression: Right lower lobe pneumonia.")
		} else {
			g.line("Findings: The lungs are clear. Heart size is normal. No pleural effusion or pneumothorax.")
			g.line("Impression: No acute cardiopulmonary process.")
		}
	}
	g.writeNoteReport(catRadiology, code, rad, at, issued, true)
	g.writeDocument(noteImaging, rad, issued, at, at+900, true)
}

func (g *gen) writeCardiologyReport(at int64) {
	s := &g.v
	cardio := g.sh.prac(pkCardiology, 0)
	g.text = g.text[:0]
	g.noteHeader("ELECTROCARDIOGRAM REPORT", cardio, at)
	if g.hasActive(cAFib, s.v.day) {
		g.put("Rhythm: Atrial fibrillation with controlled ventricular response, rate ")
	} else {
		g.put("Rhythm: Normal sinus rhythm, rate ")
	}
	g.putInt(s.hr)
	g.put(" per minute.\n")
	g.line("Axis: Normal. Intervals: PR and QRS within normal limits.")
	g.line("ST segments: No acute ST elevation or depression.")
	g.line("Interpretation: No acute ischemic changes.")
	g.writeNoteReport(catCardiology, ecgStudy, cardio, at, g.clampNow(at+int64(g.between(1, 4))*3600), true)
}

func (g *gen) writeProcedureNote(k procKind, at int64, by *clinician, inVisit bool) {
	g.text = g.text[:0]
	g.noteHeader("PROCEDURE NOTE", by, at)
	g.put("Procedure: ")
	g.line(procDefs[k].snomed.display)
	g.line("Anesthesia: 1% lidocaine, local infiltration.")
	g.line("Details: Wound irrigated and explored; no foreign body. Closed with 5 simple interrupted sutures.")
	g.line("Plan: Keep dry for 24 hours; suture removal in 10 days.")
	end := at + int64(procDefs[k].minutes)*60
	g.writeDocument(noteProcedure, by, g.clampNow(end+1800), at, end, inVisit)
}

// seen notes the latest time among a visit's records, so its Provenance is
// recorded after all of them.
func (g *gen) seen(t int64) {
	if t > g.v.latest {
		g.v.latest = t
	}
}
