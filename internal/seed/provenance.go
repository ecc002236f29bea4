package seed

var provAuthor = term{sysProvType, "author", "Author"}

// writeProvenance attests a set of records: who authored them, for which
// organisation, and when they were recorded. The patient is a target too:
// the patient compartment of Provenance is defined by a Patient target, and
// without one the patient's own apps could not see who recorded their
// records (US Core asks for Provenance through _revinclude).
func (g *gen) writeProvenance(targets []target, recorded int64, who *clinician, org *uid) {
	if len(targets) == 0 {
		return
	}
	orgName := practiceName
	if *org == g.sh.hospital {
		orgName = hospitalName
	}
	id := g.begin(tProvenance)
	w := &g.w
	w.arr("target")
	hasPatient := false
	for i := range targets {
		w.refElem(targets[i].t, &targets[i].id, "")
		hasPatient = hasPatient || targets[i].t == tPatient
	}
	if !hasPatient {
		w.refElem(tPatient, &g.p.id, "")
	}
	w.endArr()
	w.dateTime("recorded", recorded)
	w.arr("agent")
	w.elem()
	w.cc("type", provAuthor.display, provAuthor)
	w.ref("who", tPractitioner, &who.id, who.display)
	w.ref("onBehalfOf", tOrganization, org, orgName)
	w.end()
	w.endArr()
	g.finish(tProvenance, &id)
}
