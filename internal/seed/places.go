package seed

// city is a place patients live in, with the first three digits of its ZIP
// codes and its telephone area code.
type city struct {
	name, zip3, area string
}

// metro is one service area of the practice: a clinic, an emergency
// department and a ward, and the towns around them. Patients live in a
// metro and are seen at its sites, as in a real multi-site practice.
type metro struct {
	name, state string
	cities      []city
}

var metros = [...]metro{
	{"Boston", "MA", []city{
		{"Boston", "021", "617"}, {"Cambridge", "021", "617"}, {"Somerville", "021", "617"}, {"Quincy", "021", "617"},
		{"Newton", "024", "617"}, {"Waltham", "024", "781"}, {"Medford", "021", "781"}, {"Brookline", "024", "617"},
	}},
	{"Chicago", "IL", []city{
		{"Chicago", "606", "312"}, {"Evanston", "602", "847"}, {"Oak Park", "603", "708"}, {"Skokie", "600", "847"},
		{"Cicero", "608", "708"}, {"Naperville", "605", "630"}, {"Joliet", "604", "815"},
	}},
	{"Houston", "TX", []city{
		{"Houston", "770", "713"}, {"Pasadena", "775", "281"}, {"Sugar Land", "774", "281"}, {"Katy", "774", "281"},
		{"Pearland", "775", "281"}, {"The Woodlands", "773", "832"}, {"Baytown", "775", "281"},
	}},
	{"Phoenix", "AZ", []city{
		{"Phoenix", "850", "602"}, {"Mesa", "852", "480"}, {"Tempe", "852", "480"}, {"Scottsdale", "852", "480"},
		{"Chandler", "852", "480"}, {"Glendale", "853", "623"}, {"Peoria", "853", "623"},
	}},
	{"Denver", "CO", []city{
		{"Denver", "802", "303"}, {"Aurora", "800", "720"}, {"Lakewood", "802", "303"}, {"Littleton", "801", "303"},
		{"Arvada", "800", "720"}, {"Westminster", "800", "303"}, {"Englewood", "801", "303"},
	}},
	{"Atlanta", "GA", []city{
		{"Atlanta", "303", "404"}, {"Decatur", "300", "404"}, {"Marietta", "300", "770"}, {"Smyrna", "300", "678"},
		{"Roswell", "300", "770"}, {"Sandy Springs", "303", "404"},
	}},
	{"Seattle", "WA", []city{
		{"Seattle", "981", "206"}, {"Bellevue", "980", "425"}, {"Redmond", "980", "425"}, {"Kent", "980", "253"},
		{"Renton", "980", "425"}, {"Tacoma", "984", "253"},
	}},
	{"Columbus", "OH", []city{
		{"Columbus", "432", "614"}, {"Dublin", "430", "614"}, {"Westerville", "430", "614"}, {"Grove City", "431", "614"},
		{"Hilliard", "430", "614"}, {"Reynoldsburg", "430", "614"},
	}},
	{"Nashville", "TN", []city{
		{"Nashville", "372", "615"}, {"Franklin", "370", "615"}, {"Murfreesboro", "371", "615"}, {"Brentwood", "370", "615"},
		{"Hendersonville", "370", "615"},
	}},
}

var streetNames = [...]string{
	"Maple", "Oak", "Pine", "Cedar", "Elm", "Washington", "Lake", "Hill", "Park", "Main",
	"Church", "Spring", "Sunset", "Highland", "Ridge", "River", "Meadow", "Forest", "Lincoln", "Jefferson",
	"Madison", "Franklin", "Willow", "Birch", "Walnut", "Chestnut", "Cherry", "Hickory", "Magnolia", "Dogwood",
	"Aspen", "Sycamore", "Prospect", "Union", "Center", "Mill", "School", "Valley", "Orchard", "Harbor",
}

var streetSuffixes = [...]string{
	"Street", "Avenue", "Road", "Drive", "Lane", "Court", "Way", "Boulevard", "Place", "Circle", "Terrace",
}

// address is a postal address as the generator keeps it: indexes into the
// tables plus the numbers, so building one allocates nothing.
type address struct {
	metro, city  int
	number       int
	street, suff int
	unit         int // apartment number, 0 for none
	zip2         int // last two digits of the ZIP code
}

func (a *address) cityOf() *city { return &metros[a.metro].cities[a.city] }

// address writes an Address member; use is "home" or "work". list says
// whether the element repeats (Patient.address) or not (Location.address).
func (w *jw) address(k string, a *address, use string, list bool) {
	c := a.cityOf()
	if list {
		w.arr(k)
		w.elem()
	} else {
		w.obj(k)
	}
	w.str("use", use)
	w.arr("line")
	w.sep()
	w.b = append(w.b, '"')
	w.b = appendPadded(w.b, uint64(a.number), 1)
	w.b = append(w.b, ' ')
	w.b = append(w.b, streetNames[a.street]...)
	w.b = append(w.b, ' ')
	w.b = append(w.b, streetSuffixes[a.suff]...)
	w.b = append(w.b, '"')
	if a.unit > 0 {
		w.sep()
		w.b = append(w.b, `"Apt `...)
		w.b = appendPadded(w.b, uint64(a.unit), 1)
		w.b = append(w.b, '"')
	}
	w.endArr()
	w.str("city", c.name)
	w.str("state", metros[a.metro].state)
	w.key("postalCode")
	w.b = append(w.b, '"')
	w.b = append(w.b, c.zip3...)
	w.b = append2(w.b, a.zip2)
	w.b = append(w.b, '"')
	w.str("country", "US")
	w.end()
	if list {
		w.endArr()
	}
}
