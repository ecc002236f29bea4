package seed

// The shared resources: the organisations, sites, clinicians and
// medications every patient's records point at. They are written first.

type sharedSet struct {
	practice, hospital, lab uid
	insurers                [len(insurerDefs)]uid
	locations               [len(metros) * int(sitesPerMetro)]uid
	locNames                [len(metros) * int(sitesPerMetro)]string
	pracs                   []clinician
	meds                    [numMeds]uid
}

// clinician is a Practitioner as the patient records need it.
type clinician struct {
	id, role uid
	kind     pracKind
	metro    int
	display  string // "Dr. Ann Lee" or "Ann Lee, NP"
}

func (s *sharedSet) location(metro int, site siteKind) (*uid, string) {
	i := metro*int(sitesPerMetro) + int(site)
	return &s.locations[i], s.locNames[i]
}

// prac returns the clinician of a kind in a metro (specialists serve all).
func (s *sharedSet) prac(kind pracKind, metro int) *clinician {
	if kind >= perMetro {
		return &s.pracs[len(metros)*int(perMetro)+int(kind-perMetro)]
	}
	return &s.pracs[metro*int(perMetro)+int(kind)]
}

func (g *gen) shared() {
	g.reseed(0)
	g.track = nil
	sh := &g.sh

	// Organizations: the practice, the hospital, the lab, the insurers.
	g.organization(&sh.practice, practiceName, orgProvider, true)
	g.organization(&sh.hospital, hospitalName, orgProvider, true)
	g.organization(&sh.lab, labName, orgProvider, true)
	for i := range insurerDefs {
		g.organization(&sh.insurers[i], insurerDefs[i].name, orgPayer, false)
	}

	for m := range metros {
		for s := siteClinic; s < sitesPerMetro; s++ {
			g.location(m, s)
		}
	}

	sh.pracs = make([]clinician, 0, len(metros)*int(perMetro)+int(numPracKinds-perMetro))
	for m := range metros {
		for k := pkFamily; k < perMetro; k++ {
			g.practitioner(k, m)
		}
	}
	for k := perMetro; k < numPracKinds; k++ {
		g.practitioner(k, 0)
	}
	for i := range sh.pracs {
		g.practitionerRole(&sh.pracs[i])
	}
	for m := medKind(0); m < numMeds; m++ {
		g.medication(m)
	}
}

// npi makes a ten-digit National Provider Identifier with a valid Luhn
// check digit. It starts with 9, a prefix the NPI registry has not issued,
// so it cannot name a real provider.
func (g *gen) npi(b []byte) []byte {
	var d [9]int
	d[0] = 9
	for i := 1; i < 9; i++ {
		d[i] = g.intn(10)
	}
	for _, v := range d {
		b = append(b, byte('0'+v))
	}
	return append(b, byte('0'+npiCheckDigit(d)))
}

// npiCheckDigit is the Luhn check digit of an NPI: computed over the card
// issuer prefix 80840 and the nine identifier digits, whose fixed part
// contributes 24 to the sum.
func npiCheckDigit(d [9]int) int {
	sum := 24
	for i := 8; i >= 0; i-- {
		v := d[i]
		if (8-i)%2 == 0 {
			v *= 2
			if v > 9 {
				v -= 9
			}
		}
		sum += v
	}
	return (10 - sum%10) % 10
}

func (g *gen) organization(dst *uid, name string, typ term, provider bool) {
	id := g.begin(tOrganization)
	*dst = id
	w := &g.w
	if provider {
		w.arr("identifier")
		w.elem()
		w.str("system", sysNPI)
		w.key("value")
		w.b = append(w.b, '"')
		w.b = g.npi(w.b)
		w.b = append(w.b, '"')
		w.end()
		w.endArr()
	}
	w.boolean("active", true)
	w.ccList("type", "", typ)
	w.str("name", name)
	m := g.intn(len(metros))
	if provider {
		m = 0
	}
	w.arr("telecom")
	w.telecomPhone("work", metros[m].cities[0].area, g.intn(100))
	w.endArr()
	a := address{metro: m, city: 0, number: g.between(100, 2999), street: g.intn(len(streetNames)), suff: g.intn(len(streetSuffixes)), zip2: g.intn(100)}
	w.address("address", &a, "work", true)
	g.finish(tOrganization, &id)
}

var siteNames = [sitesPerMetro]string{"Clinic", "Emergency Department", "Medical-Surgical Unit"}

func (g *gen) location(m int, s siteKind) {
	id := g.begin(tLocation)
	i := m*int(sitesPerMetro) + int(s)
	g.sh.locations[i] = id
	name := ""
	switch s {
	case siteClinic:
		name = practiceName + " " + metros[m].name + " " + siteNames[s]
	default:
		name = hospitalName + " " + metros[m].name + " " + siteNames[s]
	}
	g.sh.locNames[i] = name
	w := &g.w
	w.str("status", "active")
	w.str("name", name)
	w.str("mode", "instance")
	switch s {
	case siteClinic:
		w.ccList("type", "", locClinic)
	case siteED:
		w.ccList("type", "", locER)
	default:
		w.ccList("type", "", locWard)
	}
	w.arr("telecom")
	w.telecomPhone("work", metros[m].cities[0].area, g.intn(100))
	w.endArr()
	a := address{metro: m, city: 0, number: g.between(100, 2999), street: g.intn(len(streetNames)), suff: g.intn(len(streetSuffixes)), zip2: g.intn(100)}
	w.address("address", &a, "work", false)
	switch s {
	case siteClinic:
		w.cc("physicalType", "", physBuilding)
	case siteED:
		w.cc("physicalType", "", physRoom)
	default:
		w.cc("physicalType", "", physWard)
	}
	if s == siteClinic {
		w.ref("managingOrganization", tOrganization, &g.sh.practice, practiceName)
	} else {
		w.ref("managingOrganization", tOrganization, &g.sh.hospital, hospitalName)
	}
	g.finish(tLocation, &id)
}

func (g *gen) practitioner(k pracKind, m int) {
	d := &pracDefs[k]
	male := g.chance(0.5)
	hispanic, asian := g.chance(0.12), g.chance(0.15)
	given := pickName(g, male, hispanic, asian)
	family := pickSurname(g, hispanic, asian)
	display := ""
	if d.role == roleDoctor {
		display = "Dr. " + given + " " + family
	} else {
		display = given + " " + family + ", " + d.suffix
	}
	id := g.begin(tPractitioner)
	g.sh.pracs = append(g.sh.pracs, clinician{id: id, kind: k, metro: m, display: display})
	w := &g.w
	w.arr("identifier")
	w.elem()
	w.str("system", sysNPI)
	w.key("value")
	w.b = append(w.b, '"')
	w.b = g.npi(w.b)
	w.b = append(w.b, '"')
	w.end()
	w.endArr()
	w.boolean("active", true)
	w.arr("name")
	w.elem()
	w.str("use", "official")
	w.str("text", display)
	w.str("family", family)
	w.arr("given")
	w.strElem(given)
	w.endArr()
	if d.role == roleDoctor {
		w.arr("prefix")
		w.strElem("Dr.")
		w.endArr()
	}
	w.arr("suffix")
	w.strElem(d.suffix)
	w.endArr()
	w.end()
	w.endArr()
	w.arr("telecom")
	w.telecomPhone("work", metros[m].cities[0].area, g.intn(100))
	w.elem()
	w.str("system", "email")
	w.key("value")
	w.b = append(w.b, '"')
	w.b = appendEmailLocal(w.b, given, family)
	w.b = append(w.b, '@')
	w.b = append(w.b, emailDomain...)
	w.b = append(w.b, '"')
	w.str("use", "work")
	w.end()
	w.endArr()
	a := address{metro: m, city: 0, number: g.between(100, 2999), street: g.intn(len(streetNames)), suff: g.intn(len(streetSuffixes)), zip2: g.intn(100)}
	w.address("address", &a, "work", true)
	if male {
		w.str("gender", "male")
	} else {
		w.str("gender", "female")
	}
	w.arr("qualification")
	w.elem()
	w.cc("code", d.qual.display, d.qual)
	w.end()
	w.endArr()
	g.finish(tPractitioner, &id)
}

func (g *gen) practitionerRole(c *clinician) {
	d := &pracDefs[c.kind]
	id := g.begin(tPractitionerRole)
	c.role = id
	w := &g.w
	w.boolean("active", true)
	w.ref("practitioner", tPractitioner, &c.id, c.display)
	if d.hospital {
		w.ref("organization", tOrganization, &g.sh.hospital, hospitalName)
	} else {
		w.ref("organization", tOrganization, &g.sh.practice, practiceName)
	}
	w.ccList("code", d.role.display, d.role)
	w.ccList("specialty", d.specialty.display, d.specialty)
	loc, name := g.sh.location(c.metro, d.site)
	w.refList("location", tLocation, loc, name)
	w.arr("telecom")
	w.telecomPhone("work", metros[c.metro].cities[0].area, g.intn(100))
	w.endArr()
	g.finish(tPractitionerRole, &id)
}

func (g *gen) medication(m medKind) {
	d := &medDefs[m]
	id := g.begin(tMedication)
	g.sh.meds[m] = id
	w := &g.w
	w.cc("code", d.rx.display, d.rx)
	w.str("status", "active")
	if d.form.code != "" {
		w.cc("form", d.form.display, d.form)
	}
	g.finish(tMedication, &id)
}

// appendEmailLocal writes "given.family" in lower case, letters only.
func appendEmailLocal(b []byte, given, family string) []byte {
	b = appendLowerLetters(b, given)
	b = append(b, '.')
	return appendLowerLetters(b, family)
}

func appendLowerLetters(b []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= 'a' && c <= 'z':
			b = append(b, c)
		case c >= 'A' && c <= 'Z':
			b = append(b, c+'a'-'A')
		}
	}
	return b
}
