package seed

import (
	"math"
	"slices"
)

// patient is the clinical model of one patient. Every record is derived
// from it, which is what keeps vitals, labs, medications and notes of one
// person consistent with each other. It is reused from patient to patient.
type patient struct {
	idx     int
	id      uid
	display string // "Given Family"

	male                        bool
	birth, age                  int // day of birth; age in years today
	given, middle, family, nick string
	race                        int
	hispanic                    bool
	lang                        int
	marital                     int // index into maritalStatuses, -1 for none
	addr                        address
	homeLine, mobileLine        int

	pcp *clinician

	// Body: offsets from the growth references, fixed for life.
	heightZ, bmiF, headZ, bmiAdult float64
	smoke                          smokeKind
	drinks                         int

	conds     []cond
	allergies []allergyKind
	visits    []visit
	missed    []visit // appointments cancelled or not kept
	winStart  int     // first day of the records the practice holds

	// Running state while the visits are written.
	immGiven   uint64 // childhood schedule doses given (bit i = childSchedule[i])
	fluSeason  int    // last influenza season vaccinated or offered
	zoster     bool
	ppsv       bool
	lastTdap   int
	lastMammo  int
	lastColon  int
	firstVisit int
	dx         []uid // encounter diagnoses of the current visit
}

// cond is a chronic problem on the problem list.
type cond struct {
	kind                    chronicKind
	onset, recorded, abated int // abated is noDay while the problem is current
	status                  term
	id                      uid
	meds                    [2]medKind
	nMeds                   int
	lastOrder               int
}

func (c *cond) activeOn(day int) bool {
	return c.onset <= day && (c.abated == noDay || c.abated > day)
}

// visit is one planned encounter.
type visit struct {
	kind       visitKind
	day        int
	start, end int64
	acute      acuteKind
	prac       *clinician
	appt       bool // booked ahead through an Appointment
	status     string
}

var (
	clinActive    = term{sysCondClin, "active", "Active"}
	clinResolved  = term{sysCondClin, "resolved", "Resolved"}
	clinRemission = term{sysCondClin, "remission", "Remission"}
)

// plan draws the patient: who they are, what they have, and when they were
// seen.
func (g *gen) plan(i int) {
	p := &g.p
	*p = patient{
		conds:     p.conds[:0],
		allergies: p.allergies[:0],
		visits:    p.visits[:0],
		missed:    p.missed[:0],
		dx:        p.dx[:0],
	}
	p.idx = i
	p.id = g.nextID(tPatient)
	p.lastTdap, p.lastMammo, p.lastColon, p.firstVisit = noDay, noDay, noDay, noDay

	g.planPerson()
	g.planBody()
	g.planConditions()
	g.planAllergies()
	g.planVisits()
}

func (g *gen) planPerson() {
	p := &g.p
	p.male = g.chance(0.49)
	u := g.r.Float64()
	band := ageBands[len(ageBands)-1]
	acc := 0.0
	for _, b := range ageBands {
		acc += b.share
		if u < acc {
			band = b
			break
		}
	}
	age := g.between(band.from, band.to)
	p.birth = g.today - age*365 - age/4 - g.intn(365)
	if p.birth > g.today-14 {
		p.birth = g.today - 14 - g.intn(60)
	}
	p.age = ageAt(p.birth, g.today)

	p.hispanic = g.chance(0.18)
	if p.hispanic {
		p.race = pickCum(raceCumHispanic[:], g.r.Float64())
	} else {
		p.race = pickCum(raceCumNonHispanic[:], g.r.Float64())
	}
	asian := p.race == raceAsian
	p.given = pickName(g, p.male, p.hispanic, asian)
	if g.chance(0.6) {
		p.middle = pickName(g, p.male, p.hispanic, asian)
		if p.middle == p.given {
			p.middle = ""
		}
	}
	p.family = pickSurname(g, p.hispanic, asian)
	if n := nicknameOf(p.given); n != "" && g.chance(0.3) {
		p.nick = n
	}
	p.display = p.given + " " + p.family

	switch {
	case p.hispanic && g.chance(0.4):
		p.lang = 1
	case asian && g.chance(0.35):
		p.lang = 2 + g.intn(len(languages)-2)
	}

	p.marital = -1
	if p.age >= 18 {
		u := g.r.Float64()
		switch {
		case p.age < 30:
			p.marital = pickCum([]float64{0.70, 0.98, 1, 1}, u)
		case p.age < 65:
			p.marital = pickCum([]float64{0.20, 0.80, 0.97, 1}, u)
		default:
			p.marital = pickCum([]float64{0.05, 0.60, 0.70, 1}, u)
		}
	}

	m := g.intn(len(metros))
	c := 0
	if !g.chance(0.4) {
		c = g.intn(len(metros[m].cities))
	}
	p.addr = address{metro: m, city: c, number: g.between(10, 9899), street: g.intn(len(streetNames)),
		suff: g.intn(len(streetSuffixes)), zip2: g.intn(100)}
	if g.chance(0.2) {
		p.addr.unit = g.between(1, 48)
	}
	p.homeLine, p.mobileLine = g.intn(100), g.intn(100)

	switch {
	case p.age < 18:
		p.pcp = g.sh.prac(pkPediatrics, m)
	default:
		p.pcp = g.sh.prac([]pracKind{pkFamily, pkFamilyDO, pkInternal, pkNP}[pickCum([]float64{0.35, 0.65, 0.9, 1}, g.r.Float64())], m)
	}
}

func (g *gen) planBody() {
	p := &g.p
	p.heightZ = clamp(g.r.NormFloat64(), -2.5, 2.5)
	p.headZ = clamp(g.r.NormFloat64(), -2.5, 2.5)
	p.bmiF = math.Exp(clamp(g.normal(0, 0.12), -0.3, 0.45))
	if g.chance(0.12) {
		p.bmiF *= 1.25 // childhood obesity
	}
	switch {
	case p.age < 20:
		p.bmiAdult = bmiMedian[len(bmiMedian)-1] * p.bmiF
	default:
		base := 26.0
		if p.age >= 35 {
			base = 28.5
		}
		if p.age >= 65 {
			base = 27.5
		}
		p.bmiAdult = clamp(base*math.Exp(g.normal(0, 0.17)), 17, 55)
	}
	switch {
	case p.age < 13:
		p.smoke = smokeNever
	case p.age < 18:
		if g.chance(0.05) {
			p.smoke = smokeSome
		}
	default:
		p.smoke = smokeKind(pickCum([]float64{0.60, 0.82, 0.93, 1}, g.r.Float64()))
	}
	if p.age >= 18 {
		p.drinks = pickCum([]float64{0.4, 0.75, 0.9, 0.97, 1}, g.r.Float64())
	}
}

func (g *gen) planConditions() {
	p := &g.p
	for k := chronicKind(0); k < numChronic; k++ {
		d := &chronicDefs[k]
		if p.age < d.minOnset {
			continue
		}
		switch k {
		case cObesity:
			if p.age < 18 || p.bmiAdult < 30 {
				continue
			}
		case cPreDM:
			if g.has(cT2DM) || !g.chance(prevalence(k, p.age, p.male)) {
				continue
			}
		default:
			if !g.chance(prevalence(k, p.age, p.male)) {
				continue
			}
		}
		// Onsets skew toward recent years: most of these problems become
		// likelier with age.
		u := g.r.Float64()
		onsetAge := p.age - int(float64(p.age-d.minOnset)*u*u)
		onset := p.birth + onsetAge*365 + onsetAge/4 + g.intn(365)
		onset = min(onset, g.today-30)
		onset = max(onset, p.birth+1)
		c := cond{kind: k, onset: onset, abated: noDay, status: clinActive, lastOrder: noDay}
		c.recorded = min(onset+g.intn(45), g.today-1)
		g.resolveMaybe(&c)
		if n := len(d.meds); n > 0 && g.chance(0.88) {
			first := 0
			if n > 1 && (k == cHTN || k == cHLD) && g.chance(0.3) {
				first = 1
			}
			c.meds[0] = d.meds[first]
			c.nMeds = 1
			if n > 1 && g.chance(0.35) {
				c.meds[1] = d.meds[1-first]
				c.nMeds = 2
			}
		}
		p.conds = append(p.conds, c)
	}
	if g.has(cCOPD) && p.smoke == smokeNever {
		p.smoke = smokeFormer
	}
}

// resolveMaybe ends some problems: childhood asthma and eczema are often
// outgrown, and depression goes into remission.
func (g *gen) resolveMaybe(c *cond) {
	p := &g.p
	onsetAge := ageAt(p.birth, c.onset)
	var end int
	switch {
	case c.kind == cAsthma && onsetAge < 12 && p.age >= 16 && g.chance(0.3):
		end = addYears(p.birth, g.between(onsetAge+3, min(p.age, 20)))
		c.status = clinResolved
	case c.kind == cEczema && onsetAge < 5 && p.age >= 8 && g.chance(0.5):
		end = addYears(p.birth, g.between(onsetAge+2, min(p.age, 12)))
		c.status = clinResolved
	case c.kind == cDepression && g.chance(0.2):
		end = c.onset + g.between(120, 720)
		c.status = clinRemission
	default:
		return
	}
	if end <= c.recorded || end >= g.today {
		c.status = clinActive
		return
	}
	c.abated = end
}

func (g *gen) has(k chronicKind) bool {
	for i := range g.p.conds {
		if g.p.conds[i].kind == k {
			return true
		}
	}
	return false
}

// hasActive reports a current problem of kind k on a day.
func (g *gen) hasActive(k chronicKind, day int) bool {
	for i := range g.p.conds {
		if c := &g.p.conds[i]; c.kind == k && c.activeOn(day) {
			return true
		}
	}
	return false
}

var (
	adultAllergyCum = [...]float64{0.30, 0.45, 0.50, 0.60, 0.65, 0.68, 0.70, 0.72, 0.77, 0.82, 0.92, 0.96, 1}
	childAllergyCum = [...]float64{0.15, 0.18, 0.18, 0.18, 0.20, 0.40, 0.55, 0.70, 0.70, 0.73, 0.83, 0.93, 1}
)

func (g *gen) planAllergies() {
	p := &g.p
	none := 0.55
	cum := adultAllergyCum[:]
	if p.age < 18 {
		none, cum = 0.65, childAllergyCum[:]
	}
	if g.chance(none) {
		if g.chance(0.8) {
			p.allergies = append(p.allergies, alNone)
		}
		return
	}
	n := 1 + g.intn(2)
	for range n {
		a := allergyKind(1 + pickCum(cum, g.r.Float64()))
		if !slices.Contains(p.allergies, a) {
			p.allergies = append(p.allergies, a)
		}
	}
}

func clamp(v, lo, hi float64) float64 { return max(lo, min(hi, v)) }
