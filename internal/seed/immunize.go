package seed

// Immunizations: the childhood schedule given at well-child visits (with
// doses due before the practice's records as historical entries), seasonal
// influenza, and adult boosters and one-time vaccines.

func (g *gen) writePastImmunizations() {
	p := &g.p
	if p.age < 19 {
		for i, d := range childSchedule {
			due := p.birth + d.age
			if due < p.winStart {
				p.immGiven |= 1 << i
				g.writeImmunization(d.vx, int64(due+g.intn(10))*daySeconds+15*3600, false, false)
			}
		}
		return
	}
	if g.chance(0.5) {
		if at := p.winStart - g.between(365, 3000); ageAt(p.birth, at) >= 11 {
			p.lastTdap = at
			g.writeImmunization(vxTdap, int64(at)*daySeconds+16*3600, false, false)
		}
	}
	if g.chance(0.6) {
		first := dayOf(2021, 3+g.intn(4), 1+g.intn(28))
		second := first + g.between(21, 28)
		if ageAt(p.birth, first) >= 12 && second < g.today {
			g.writeImmunization(vxCOVID, int64(first)*daySeconds+14*3600, false, false)
			g.writeImmunization(vxCOVID, int64(second)*daySeconds+14*3600, false, false)
		}
	}
}

func (g *gen) writeVisitImmunizations() {
	p := &g.p
	s := &g.v
	v := s.v
	if v.kind > visitAcute {
		return
	}
	at := v.end - int64(g.between(3, 10))*60
	if v.kind == visitWell && s.age < 19 {
		for i, d := range childSchedule {
			if p.immGiven&(1<<i) == 0 && p.birth+d.age <= v.day {
				p.immGiven |= 1 << i
				g.writeImmunization(d.vx, at, true, false)
			}
		}
	}
	// Influenza, once a season (September to March).
	y, m, _ := civil(v.day)
	if m >= 9 || m <= 3 {
		season := y
		if m <= 3 {
			season--
		}
		if season > p.fluSeason && s.ageF >= 0.5 {
			p.fluSeason = season
			if g.chance(band(s.age, 0.55, 0.4, 0.5, 0.7)) {
				g.writeImmunization(vxFlu, at, true, g.chance(0.06))
			}
		}
	}
	if v.kind != visitWell || s.age < 19 {
		return
	}
	if (p.lastTdap == noDay || v.day-p.lastTdap > 3650) && g.chance(0.25) {
		p.lastTdap = v.day
		g.writeImmunization(vxTdap, at, true, false)
	}
	if s.age >= 50 && !p.zoster && g.chance(0.25) {
		p.zoster = true
		g.writeImmunization(vxZoster, at, true, false)
	}
	if s.age >= 65 && !p.ppsv && g.chance(0.35) {
		p.ppsv = true
		g.writeImmunization(vxPPSV23, at, true, false)
	}
}

// writeImmunization writes one vaccination. atVisit says it was given here
// (primary source, linked to the encounter); otherwise it was transcribed
// from an outside record. refused writes a documented refusal.
func (g *gen) writeImmunization(vx vaccineKind, at int64, atVisit, refused bool) {
	p := &g.p
	s := &g.v
	d := &vaccineDefs[vx]
	id := g.begin(tImmunization)
	w := &g.w
	if refused {
		w.str("status", "not-done")
		w.cc("statusReason", refusal.display, refusal)
	} else {
		w.str("status", "completed")
	}
	w.cc("vaccineCode", d.cvx.display, d.cvx)
	w.ref("patient", tPatient, &p.id, p.display)
	if atVisit {
		w.ref("encounter", tEncounter, &s.enc, "")
	}
	w.dateTime("occurrenceDateTime", at)
	if atVisit {
		w.dateTime("recorded", at+60)
	}
	w.boolean("primarySource", atVisit)
	if !atVisit {
		w.cc("reportOrigin", immOrigin.display, immOrigin)
	}
	if atVisit {
		w.ref("location", tLocation, s.loc, s.locName)
	}
	if refused {
		g.finish(tImmunization, &id)
		return
	}
	w.key("lotNumber")
	w.b = append(w.b, '"')
	w.b = append(w.b, byte('A'+g.intn(26)), byte('A'+g.intn(26)))
	w.b = appendPadded(w.b, uint64(g.intn(100000)), 5)
	w.b = append(w.b, '"')
	if d.route != routePO {
		age := ageAt(p.birth, dayOfSec(at))
		site := siteLArm
		switch {
		case age < 3 && g.chance(0.5):
			site = siteLThi
		case age < 3:
			site = siteRThi
		case g.chance(0.5):
			site = siteRArm
		}
		w.cc("site", site.display, site)
	}
	w.cc("route", d.route.display, d.route)
	w.qty("doseQuantity", d.ml, 1, "mL", "mL")
	if atVisit {
		nurse := g.sh.prac(pkNurse, p.addr.metro)
		w.arr("performer")
		w.elem()
		w.cc("function", adminRole.display, adminRole)
		w.ref("actor", tPractitioner, &nurse.id, nurse.display)
		w.end()
		w.endArr()
	}
	g.finish(tImmunization, &id)
}
