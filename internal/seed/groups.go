package seed

import "strconv"

// groups writes one Group per groupSize patients, the cohorts bulk export
// by Group works on. Member ids are recomputed from the seed, so nothing
// about earlier patients had to be kept.
func (g *gen) groups(patients int) {
	g.scope = 0
	g.counts = [numTypes]uint32{}
	g.track = nil
	for gi := 0; gi*groupSize < patients; gi++ {
		from, to := gi*groupSize, min((gi+1)*groupSize, patients)
		id := g.begin(tGroup)
		w := &g.w
		w.boolean("active", true)
		w.str("type", "person")
		w.boolean("actual", true)
		w.key("name")
		w.b = append(w.b, `"Demo panel `...)
		w.b = strconv.AppendInt(w.b, int64(gi+1), 10)
		w.b = append(w.b, '"')
		w.int("quantity", to-from)
		w.ref("managingEntity", tOrganization, &g.sh.practice, practiceName)
		w.arr("member")
		for i := from; i < to; i++ {
			pid := makeID(g.seed, tPatient, uint64(i)+1, 0)
			w.elem()
			w.ref("entity", tPatient, &pid, "")
			w.end()
		}
		w.endArr()
		g.finish(tGroup, &id)
		if g.err != nil {
			return
		}
	}
}
