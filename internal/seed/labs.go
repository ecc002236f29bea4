package seed

import "math"

// Laboratory orders: which panels a visit orders, the results as
// Observations, and the DiagnosticReport that gathers them.

func (g *gen) writeLabs() {
	p := &g.p
	s := &g.v
	v := s.v
	var panels uint16
	order := func(k panelKind) { panels |= 1 << k }
	switch v.kind {
	case visitWell:
		if s.age >= 20 {
			if g.chance(0.35) || g.hasActive(cHLD, v.day) || g.hasActive(cCAD, v.day) {
				order(lpLipid)
			}
			if g.chance(0.3) {
				order(lpCMP)
			}
			if g.chance(0.25) {
				order(lpCBC)
			}
		}
		for _, i := range s.addressed {
			if k := p.conds[i].kind; k == cT2DM || k == cPreDM || k == cHypothyroid {
				for _, l := range chronicDefs[k].labs {
					order(l)
				}
			}
		}
	case visitFollowUp:
		for _, i := range s.addressed {
			for _, l := range chronicDefs[p.conds[i].kind].labs {
				if g.chance(0.7) {
					order(l)
				}
			}
		}
	case visitAcute, visitEmergency:
		if v.acute != noAcute {
			for _, l := range acuteDefs[v.acute].labs {
				order(l)
			}
		}
		if v.kind == visitEmergency && g.chance(0.5) {
			order(lpCBC)
			order(lpBMP)
		}
	case visitInpatient:
		order(lpCBC)
		order(lpCMP)
		for _, l := range acuteDefs[v.acute].labs {
			order(l)
		}
	}
	if panels&(1<<lpCMP) != 0 {
		panels &^= 1 << lpBMP // the comprehensive panel includes the basic one
	}
	s.panels = panels
	if panels == 0 {
		return
	}
	collected := g.during(15, 40)
	for k := panelKind(0); k < numPanels; k++ {
		if panels&(1<<k) != 0 {
			g.writePanel(k, collected)
		}
	}
}

func (g *gen) writePanel(k panelKind, collected int64) {
	s := &g.v
	pd := &panelDefs[k]
	turnaround := int64(g.between(1, 20)) * 3600
	if s.v.kind != visitWell && s.v.kind != visitFollowUp {
		turnaround = int64(g.between(30, 120)) * 60
	}
	issued := g.clampNow(collected + turnaround)
	g.seen(issued)
	var results [16]uid
	for i, l := range pd.members {
		results[i] = g.writeLabResult(l, collected, issued)
	}
	id := g.begin(tDiagnosticReport)
	w := &g.w
	w.str("status", "final")
	w.ccList("category", "", catLabReport)
	w.cc("code", pd.code.display, pd.code)
	g.subject("subject")
	w.ref("encounter", tEncounter, &s.enc, "")
	w.dateTime("effectiveDateTime", collected)
	w.dateTime("issued", issued)
	w.refList("performer", tOrganization, &g.sh.lab, labName)
	w.arr("result")
	for i, l := range pd.members {
		w.refElem(tObservation, &results[i], labDefs[l].loinc.display)
	}
	w.endArr()
	g.finish(tDiagnosticReport, &id)
}

func (g *gen) writeLabResult(l labKind, collected, issued int64) uid {
	s := &g.v
	d := &labDefs[l]
	id := g.begin(tObservation)
	w := &g.w
	w.str("status", "final")
	w.ccList("category", "Laboratory", catLaboratory)
	w.cc("code", d.loinc.display, d.loinc)
	g.subject("subject")
	w.ref("encounter", tEncounter, &s.enc, "")
	w.dateTime("effectiveDateTime", collected)
	w.dateTime("issued", issued)
	if l == lCOVID {
		if s.v.acute == aCOVID {
			w.cc("valueCodeableConcept", resultDetected.display, resultDetected)
			w.ccList("interpretation", "", interpDetected)
		} else {
			w.cc("valueCodeableConcept", resultNotDetected.display, resultNotDetected)
			w.ccList("interpretation", "", interpNotDet)
		}
		g.finish(tObservation, &id)
		return id
	}
	v := round(g.labValue(l), d.prec)
	w.qty("valueQuantity", v, d.prec, d.unit, d.ucum)
	interp := interpNormal
	switch {
	case d.low > 0 && v < d.low:
		interp = interpLow
	case d.high > 0 && v > d.high:
		interp = interpHigh
	}
	if interp != interpNormal {
		s.abnormal++
		if l == lTroponin {
			s.troponinHigh = true
		}
	}
	w.ccList("interpretation", interp.display, interp)
	w.arr("referenceRange")
	w.elem()
	if d.low > 0 {
		w.qty("low", d.low, d.prec, d.unit, d.ucum)
	}
	if d.high > 0 {
		w.qty("high", d.high, d.prec, d.unit, d.ucum)
	}
	w.end()
	w.endArr()
	g.finish(tObservation, &id)
	s.resultsWritten++
	return id
}

// labValue draws a result from the patient's state: their problems and
// treatment, sex and age, and the acute illness of the visit.
func (g *gen) labValue(l labKind) float64 {
	p := &g.p
	s := &g.v
	day := s.v.day
	d := &labDefs[l]
	infection := s.v.acute == aPneumonia || s.v.acute == aCOVID || s.v.acute == aStrep
	var v float64
	switch l {
	case lWBC:
		v = g.normal(7, 1.5)
		if infection {
			v = g.normal(13, 2.5)
		}
	case lHgb:
		v = g.normal(13.6, 0.9)
		if p.male {
			v = g.normal(15, 1)
		}
		if g.hasActive(cCKD3, day) {
			v -= 1.2
		}
	case lHct:
		v = g.normal(40.5, 2.5)
		if p.male {
			v = g.normal(44.5, 2.8)
		}
	case lGlucose:
		v = g.normal(88, 8)
		switch {
		case g.hasActive(cT2DM, day):
			v = g.normal(150, 30)
		case g.hasActive(cPreDM, day):
			v = g.normal(108, 7)
		}
	case lCreat:
		v = g.normal(0.8, 0.12)
		if p.male {
			v = g.normal(1.0, 0.14)
		}
		if g.hasActive(cCKD3, day) {
			v = g.normal(1.6, 0.25)
		}
	case lBUN:
		v = g.normal(14, 3.5)
		if g.hasActive(cCKD3, day) {
			v = g.normal(28, 5)
		}
	case lEGFR:
		v = g.normal(100-0.7*math.Max(0, s.ageF-40), 12)
		if g.hasActive(cCKD3, day) {
			v = g.normal(45, 7)
		}
		v = clamp(v, 15, 130)
	case lA1c:
		v = g.normal(5.2, 0.25)
		switch {
		case g.hasActive(cT2DM, day):
			v = g.normal(7.3, 0.8)
		case g.hasActive(cPreDM, day):
			v = g.normal(6.0, 0.15)
		}
	case lChol:
		v = g.normal(185, 28)
		if g.hasActive(cHLD, day) {
			v = g.normal(215, 30)
		}
	case lTrig:
		v = g.normal(120, 40)
		if g.hasActive(cT2DM, day) {
			v += 50
		}
	case lHDL:
		v = g.normal(57, 12)
		if p.male {
			v = g.normal(47, 10)
		}
	case lLDL:
		v = g.normal(105, 25)
		if g.hasActive(cHLD, day) {
			v = g.normal(130, 25)
		}
	case lTSH:
		v = g.normal(1.8, 0.7)
		if g.hasActive(cHypothyroid, day) {
			v = g.normal(3.8, 1.8)
		}
		v = math.Max(v, 0.05)
	case lTroponin:
		v = math.Abs(g.normal(0.004, 0.003))
		if g.hasActive(cCAD, day) && g.chance(0.2) {
			v = g.normal(0.05, 0.02)
		}
	default:
		mid := (d.low + d.high) / 2
		v = g.normal(mid, (d.high-d.low)/6)
	}
	return math.Max(v, math.Pow10(-d.prec))
}
