package seed

import "math"

// Vital signs. Each visit records a panel whose members are the individual
// US Core vital-sign observations; values come from the patient's growth
// curve, conditions and the acute problem of the visit.

func (g *gen) writeVitals() {
	p := &g.p
	s := &g.v
	v := s.v
	d := (*acuteDef)(nil)
	if v.acute != noAcute {
		d = &acuteDefs[v.acute]
	}
	at := g.during(3, 12)
	if v.kind == visitInpatient || v.kind == visitEmergency {
		at = g.during(10, 40)
	}
	nurse := g.sh.prac(pkNurse, p.addr.metro)
	if v.kind != visitWell && v.kind != visitFollowUp && v.kind != visitAcute {
		nurse = v.prac
	}

	// Measurements.
	age := s.ageF
	ht := g.height(age) * (1 + g.normal(0, 0.003))
	bmi := g.bmi(age) * (1 + g.normal(0, 0.015))
	wt := bmi * ht * ht / 10000
	bmi = wt / (ht * ht / 10000)
	temp := g.normal(36.8, 0.2)
	fever := d != nil && d.fever && g.chance(0.8)
	if fever {
		temp = 38 + g.r.Float64()*1.6
	}
	hr := interp(growthAges[:], heartRateByAge[:], age) + g.normal(0, 6)
	if fever {
		hr += 12
	}
	if g.hasActive(cAFib, v.day) {
		hr += g.normal(8, 10)
	}
	rr := interp(growthAges[:], respRateByAge[:], age) + g.normal(0, 1.5)
	spo2 := 98 + g.normal(0, 0.8)
	if g.hasActive(cCOPD, v.day) {
		spo2 -= 4
	}
	if d != nil && (v.acute == aPneumonia || v.acute == aCOVID) {
		spo2 -= 4
		rr += 4
	}
	sys, dia := g.bloodPressure(age, v.day)
	s.vitals = true
	s.ht, s.wt, s.bmi, s.temp = ht, wt, bmi, temp
	s.hr, s.rr, s.spo2 = int(math.Round(hr)), int(math.Round(rr)), int(math.Min(100, math.Round(spo2)))
	s.sys, s.dia = sys, dia

	// Which vitals this visit measured.
	measureHeight := v.kind == visitWell || age < 20 || g.chance(0.5)
	if v.kind == visitEmergency || v.kind == visitInpatient {
		measureHeight = age < 18
	}
	var members [12]uid
	var kinds [12]vitalKind
	n := 0
	add := func(k vitalKind, value float64) {
		members[n] = g.vitalObs(k, at, nurse, value)
		kinds[n] = k
		n++
	}
	add(vHeartRate, float64(s.hr))
	add(vRespRate, float64(s.rr))
	add(vTemp, temp)
	if measureHeight {
		add(vHeight, ht)
	}
	add(vWeight, wt)
	if measureHeight && age >= 2 {
		add(vBMI, bmi)
	}
	if age >= 3 {
		members[n] = g.bpObs(at, nurse, sys, dia)
		kinds[n] = vBP
		n++
	}
	add(vSpO2, float64(s.spo2))
	if age < 3 && v.kind == visitWell {
		add(vHead, g.head(age))
		add(vHeadPct, percentile(p.headZ))
	}
	if measureHeight && age >= 2 && age < 20 {
		add(vBMIPct, percentile(math.Log(p.bmiF)/0.12))
	}
	if measureHeight && age < 2 {
		add(vWeightLengthPct, percentile(math.Log(p.bmiF)/0.12))
	}

	id := g.begin(tObservation)
	w := &g.w
	w.str("status", "final")
	w.ccList("category", "Vital Signs", catVitalSigns)
	vd := &vitalDefs[vPanel]
	w.cc("code", vd.text, vd.code)
	g.subject("subject")
	w.ref("encounter", tEncounter, &s.enc, "")
	w.dateTime("effectiveDateTime", at)
	w.dateTime("issued", at+120)
	w.refList("performer", tPractitioner, &nurse.id, nurse.display)
	w.arr("hasMember")
	for i := 0; i < n; i++ {
		w.refElem(tObservation, &members[i], vitalDefs[kinds[i]].text)
	}
	w.endArr()
	g.finish(tObservation, &id)
}

// vitalObs writes one vital sign with a quantity value.
func (g *gen) vitalObs(k vitalKind, at int64, by *clinician, value float64) uid {
	vd := &vitalDefs[k]
	id := g.begin(tObservation)
	w := &g.w
	w.str("status", "final")
	w.ccList("category", "Vital Signs", catVitalSigns)
	if vd.alt.code != "" {
		w.cc("code", vd.text, vd.code, vd.alt)
	} else {
		w.cc("code", vd.text, vd.code)
	}
	g.subject("subject")
	w.ref("encounter", tEncounter, &g.v.enc, "")
	w.dateTime("effectiveDateTime", at)
	w.dateTime("issued", at+120)
	w.refList("performer", tPractitioner, &by.id, by.display)
	w.qty("valueQuantity", round(value, vd.prec), vd.prec, vd.unit, vd.ucum)
	g.finish(tObservation, &id)
	return id
}

func (g *gen) bpObs(at int64, by *clinician, sys, dia int) uid {
	vd := &vitalDefs[vBP]
	id := g.begin(tObservation)
	w := &g.w
	w.str("status", "final")
	w.ccList("category", "Vital Signs", catVitalSigns)
	w.cc("code", vd.text, vd.code)
	g.subject("subject")
	w.ref("encounter", tEncounter, &g.v.enc, "")
	w.dateTime("effectiveDateTime", at)
	w.dateTime("issued", at+120)
	w.refList("performer", tPractitioner, &by.id, by.display)
	w.arr("component")
	w.elem()
	w.cc("code", bpSystolic.display, bpSystolic)
	w.qty("valueQuantity", float64(sys), 0, vd.unit, vd.ucum)
	w.end()
	w.elem()
	w.cc("code", bpDiastolic.display, bpDiastolic)
	w.qty("valueQuantity", float64(dia), 0, vd.unit, vd.ucum)
	w.end()
	w.endArr()
	g.finish(tObservation, &id)
	return id
}

// height in cm at a fractional age: the growth reference shifted by the
// patient's own z-score, then the adult height, shrinking a little late in
// life.
func (g *gen) height(age float64) float64 {
	p := &g.p
	med := heightMedianF[:]
	adult, sd := 163.3, 6.7
	if p.male {
		med, adult, sd = heightMedianM[:], 176.8, 7.4
	}
	if age < 20 {
		return interp(growthAges[:], med, age) * (1 + 0.042*p.heightZ)
	}
	h := adult + sd*p.heightZ
	if age > 60 {
		h -= (age - 60) * 0.12
	}
	return h
}

// bmi at a fractional age.
func (g *gen) bmi(age float64) float64 {
	if age < 20 {
		return interp(growthAges[:], bmiMedian[:], age) * g.p.bmiF
	}
	return g.p.bmiAdult
}

func (g *gen) head(age float64) float64 {
	h := interp(headAges[:], headMedian[:], age) + 1.3*g.p.headZ
	if g.p.male {
		return h + 0.5
	}
	return h - 0.5
}

// bloodPressure draws systolic and diastolic pressures; hypertension raises
// them, and treatment brings them most of the way back.
func (g *gen) bloodPressure(age float64, day int) (int, int) {
	p := &g.p
	var sys, dia float64
	if age < 20 {
		sys = interp(growthAges[:], systolicByAge[:], age) + g.normal(0, 6)
		dia = interp(growthAges[:], diastolicByAge[:], age) + g.normal(0, 5)
	} else {
		sys = 112 + 0.45*(age-20) + g.normal(0, 8)
		dia = 72 + 0.15*math.Min(age-20, 40) + g.normal(0, 6)
		if p.male {
			sys += 4
		}
		if age > 60 {
			dia -= (age - 60) * 0.3
		}
		for i := range p.conds {
			c := &p.conds[i]
			if c.kind == cHTN && c.activeOn(day) {
				if c.nMeds > 0 {
					sys, dia = sys+6, dia+3
				} else {
					sys, dia = sys+16, dia+7
				}
			}
		}
	}
	sys = clamp(sys, 70, 210)
	dia = clamp(dia, 35, math.Min(125, sys-20))
	return int(math.Round(sys)), int(math.Round(dia))
}

// percentile turns a z-score into a percentile, kept within 0.1..99.9.
func percentile(z float64) float64 {
	return clamp(50*(1+math.Erf(z/math.Sqrt2)), 0.1, 99.9)
}

func round(v float64, prec int) float64 {
	f := math.Pow10(prec)
	return math.Round(v*f) / f
}
