package seed

// Social history recorded at preventive visits.

func (g *gen) writeSmoking() {
	s := &g.v
	ans := smokeAnswers[g.p.smoke]
	at := g.during(5, 15)
	id := g.begin(tObservation)
	w := &g.w
	w.str("status", "final")
	w.ccList("category", "Social History", catSocial)
	w.cc("code", smokingStatus.display, smokingStatus)
	g.subject("subject")
	w.ref("encounter", tEncounter, &s.enc, "")
	w.dateTime("effectiveDateTime", at)
	w.dateTime("issued", at+60)
	w.refList("performer", tPractitioner, &s.v.prac.id, s.v.prac.display)
	w.cc("valueCodeableConcept", ans.display, ans)
	g.finish(tObservation, &id)
}

func (g *gen) writeAlcohol() {
	s := &g.v
	at := g.during(5, 15)
	id := g.begin(tObservation)
	w := &g.w
	w.str("status", "final")
	w.ccList("category", "Social History", catSocial)
	w.cc("code", alcoholPerDay.display, alcoholPerDay)
	g.subject("subject")
	w.ref("encounter", tEncounter, &s.enc, "")
	w.dateTime("effectiveDateTime", at)
	w.dateTime("issued", at+60)
	w.refList("performer", tPractitioner, &s.v.prac.id, s.v.prac.display)
	w.qty("valueQuantity", float64(g.p.drinks), 0, "drinks/day", "/d")
	g.finish(tObservation, &id)
}
