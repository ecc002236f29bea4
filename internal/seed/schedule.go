package seed

import (
	"cmp"
	"slices"
)

// Visit scheduling: when the patient was seen, for what, and by whom.

// wellChildAges are the ages in days of the routine well-child visits
// before the yearly ones from age three.
var wellChildAges = [...]int{5, 30, 61, 122, 183, 274, 365, 456, 548, 730, 913}

func (g *gen) planVisits() {
	p := &g.p
	last := g.today - 1
	// The practice holds one and a half to four and a half years of
	// records, or all of a young child's life.
	p.winStart = max(g.today-g.between(540, 1640), p.birth+3)
	years := float64(last-p.winStart+1) / 365.25
	if last < p.winStart {
		return
	}

	// Preventive visits.
	for _, a := range wellChildAges {
		if g.chance(0.9) {
			g.addVisit(visitWell, p.birth+a+g.intn(8), noAcute)
		}
	}
	for y := 3; y < 18 && y <= p.age; y++ {
		if g.chance(0.85) {
			g.addVisit(visitWell, addYears(p.birth, y)+g.intn(60), noAcute)
		}
	}
	attend := band(p.age, 0, 0.6, 0.7, 0.8)
	for d := p.winStart + g.intn(365); d <= last; d += g.between(330, 400) {
		if ageAt(p.birth, d) >= 18 && g.chance(attend) {
			g.addVisit(visitWell, d, noAcute)
		}
	}

	// Follow-up of chronic problems, more often the more there are.
	n := 0
	for i := range p.conds {
		c := &p.conds[i]
		if c.abated == noDay && (c.nMeds > 0 || len(chronicDefs[c.kind].labs) > 0) {
			n++
		}
	}
	if n > 0 {
		perYear := min(1+0.6*float64(n), 4)
		interval := int(365 / perYear)
		for d := p.winStart + g.intn(interval); d <= last; d += interval*4/5 + g.intn(interval*2/5+1) {
			if g.anyActive(d) {
				g.addVisit(visitFollowUp, d, noAcute)
			}
		}
	}

	// Acute problems at the office, the emergency department, the ward.
	rate := band(p.age, 0.9, 0.4, 0.45, 0.6)
	if p.age < 5 {
		rate = 1.4
	}
	for range g.poisson(rate * years) {
		d := g.between(p.winStart, last)
		if a, ok := g.pickAcute(officeAcute[:], d); ok {
			g.addVisit(visitAcute, d, a)
		}
	}
	for range g.poisson(band(p.age, 0.08, 0.06, 0.07, 0.15) * years) {
		d := g.between(p.winStart, last)
		if a, ok := g.pickAcute(emergencyAcute[:], d); ok {
			g.addVisit(visitEmergency, d, a)
		}
	}
	inpatient := band(p.age, 0.01, 0.01, 0.02, 0.05)
	if g.has(cHF) || g.has(cCOPD) {
		inpatient += 0.08
	}
	for range g.poisson(inpatient * years) {
		d := g.between(p.winStart, last)
		if a, ok := g.pickAcute(inpatientAcute[:], d); ok {
			g.addVisit(visitInpatient, d, a)
		}
	}

	slices.SortStableFunc(p.visits, func(a, b visit) int { return cmp.Compare(a.start, b.start) })
	if len(p.visits) > 0 {
		p.firstVisit = p.visits[0].day
	}
}

const noAcute acuteKind = numAcute

func (g *gen) anyActive(day int) bool {
	for i := range g.p.conds {
		if g.p.conds[i].activeOn(day) {
			return true
		}
	}
	return false
}

// pickAcute chooses a problem that fits the patient's age and sex on a day.
func (g *gen) pickAcute(from []acuteKind, day int) (acuteKind, bool) {
	p := &g.p
	age := ageAt(p.birth, day)
	for range 6 {
		a := from[g.intn(len(from))]
		d := &acuteDefs[a]
		switch {
		case age < d.minAge:
			continue
		case a == aUTI && p.male && !g.chance(0.15):
			continue
		case a == aOtitis && age >= 12 && !g.chance(0.15):
			continue
		case a == aChestPain && age < 45 && !g.chance(0.3):
			continue
		}
		return a, true
	}
	return 0, false
}

// weekday is 0 for Sunday.
func weekday(day int) int { return ((day % 7) + 7 + 4) % 7 }

// addVisit schedules a visit on a day (office visits move off weekends) if
// the day lies within the patient's record window.
func (g *gen) addVisit(kind visitKind, day int, acute acuteKind) {
	p := &g.p
	last := g.today - 1
	if kind <= visitAcute {
		switch weekday(day) {
		case 0:
			day++
		case 6:
			day--
			if day+3 <= last {
				day += 3
			}
		}
	}
	v := visit{kind: kind, day: day, acute: acute, status: "finished"}
	switch kind {
	case visitEmergency:
		last-- // the stay may run past midnight
	case visitInpatient:
		last -= 7
	}
	if day < p.winStart || day > last {
		return
	}
	m := p.addr.metro
	start := int64(day) * daySeconds
	switch kind {
	case visitEmergency:
		v.prac = g.sh.prac(pkEmergency, m)
		v.start = start + int64(g.intn(24*60))*60
		v.end = v.start + int64(g.between(120, 420))*60
	case visitInpatient:
		v.prac = g.sh.prac(pkHospitalist, m)
		v.start = start + int64(g.intn(24*60))*60
		stay := g.between(2, 6)
		v.end = int64(day+stay)*daySeconds + 15*3600 + int64(g.intn(6*60))*60
	default:
		v.prac = p.pcp
		if g.chance(0.2) {
			if ageAt(p.birth, day) < 18 {
				v.prac = g.sh.prac(pkNP, m)
			} else {
				v.prac = g.sh.prac(pracKind(g.intn(int(pkNP)+1)), m)
			}
		}
		// Office hours, 8 am to 4:30 pm US Central time, in UTC.
		v.start = start + 13*3600 + int64(g.intn(35))*15*60
		switch kind {
		case visitWell:
			v.end = v.start + int64(g.between(30, 45))*60
		case visitFollowUp:
			v.end = v.start + int64(g.between(20, 30))*60
		default:
			v.end = v.start + int64(g.between(15, 25))*60
		}
		v.appt = kind != visitAcute || g.chance(0.3)
		if v.appt && kind != visitAcute && g.chance(0.07) {
			// An earlier booking for the same need that was not kept.
			miss := v
			miss.day = day - g.between(7, 30)
			if miss.day >= p.winStart {
				shift := int64(miss.day-day) * daySeconds
				miss.start += shift
				miss.end += shift
				miss.status = "cancelled"
				if g.chance(0.3) {
					miss.status = "noshow"
				}
				p.missed = append(p.missed, miss)
			}
		}
	}
	p.visits = append(p.visits, v)
}
