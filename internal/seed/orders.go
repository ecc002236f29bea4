package seed

// Medication orders: long-term medicines renewed about once a year at the
// visits that address their problem, and short courses for acute problems.

var (
	medCatOutpatient = term{sysMedReqCat, "outpatient", "Outpatient"}
	medCatDischarge  = term{sysMedReqCat, "discharge", "Discharge"}
	doseOrdered      = term{sysDoseType, "ordered", "Ordered"}
)

func (g *gen) writeOrders() {
	p := &g.p
	s := &g.v
	v := s.v
	for _, i := range s.addressed {
		c := &p.conds[i]
		if c.nMeds == 0 || (c.lastOrder != noDay && v.day-c.lastOrder < 330) {
			continue
		}
		c.lastOrder = v.day
		for k := 0; k < c.nMeds; k++ {
			g.writeMedicationRequest(c.meds[k], &c.id, chronicDefs[c.kind].snomed.display)
		}
	}
	if v.acute != noAcute && len(p.dx) > 0 {
		for _, m := range acuteDefs[v.acute].meds {
			if m == mAspirin || g.chance(0.85) {
				g.writeMedicationRequest(m, &p.dx[0], acuteDefs[v.acute].snomed.display)
			}
		}
	}
}

func (g *gen) writeMedicationRequest(m medKind, reason *uid, reasonText string) {
	s := &g.v
	v := s.v
	d := &medDefs[m]
	authored := v.end - int64(g.between(1, 5))*60
	id := g.begin(tMedicationRequest)
	w := &g.w
	// A long-term order stays active until its year of refills runs out;
	// a course ends when its days are over. A few are stopped early.
	ends := v.day + d.days
	if d.longTerm() {
		ends = v.day + 330
	}
	switch {
	case g.chance(0.03):
		w.str("status", "stopped")
	case ends < g.today:
		w.str("status", "completed")
	default:
		w.str("status", "active")
	}
	w.str("intent", "order")
	if v.kind == visitInpatient {
		w.ccList("category", medCatDischarge.display, medCatDischarge)
	} else {
		w.ccList("category", medCatOutpatient.display, medCatOutpatient)
	}
	if d.longTerm() {
		w.ref("medicationReference", tMedication, &g.sh.meds[m], d.rx.display)
	} else {
		w.cc("medicationCodeableConcept", d.rx.display, d.rx)
	}
	g.subject("subject")
	w.ref("encounter", tEncounter, &s.enc, "")
	w.dateTime("authoredOn", authored)
	w.ref("requester", tPractitioner, &v.prac.id, v.prac.display)
	w.refList("reasonReference", tCondition, reason, reasonText)

	w.arr("dosageInstruction")
	w.elem()
	w.int("sequence", 1)
	w.str("text", d.sig)
	w.obj("timing")
	w.obj("repeat")
	w.int("frequency", d.perDay)
	w.int("period", 1)
	w.str("periodUnit", "d")
	w.end()
	w.end()
	if d.prn {
		w.boolean("asNeededBoolean", true)
	}
	w.cc("route", d.route.display, d.route)
	w.arr("doseAndRate")
	w.elem()
	w.cc("type", doseOrdered.display, doseOrdered)
	w.qty("doseQuantity", d.dose, 0, d.unit, d.ucum)
	w.end()
	w.endArr()
	w.end()
	w.endArr()

	w.obj("dispenseRequest")
	if d.longTerm() {
		w.int("numberOfRepeatsAllowed", 3)
	}
	if pk := medPacks[m]; pk.unit != "" {
		w.qty("quantity", d.quantity, 0, pk.unit, pk.ucum)
	} else {
		w.qty("quantity", d.quantity, 0, d.unit, d.ucum)
	}
	w.qty("expectedSupplyDuration", float64(d.days), 0, "days", "d")
	w.end()
	g.finish(tMedicationRequest, &id)
}
