package seed

// Appointments: the bookings behind office visits (kept, cancelled or
// missed) and the upcoming ones, the only records dated after now.

func (g *gen) writeAppointment(v *visit, status string) uid {
	p := &g.p
	id := g.begin(tAppointment)
	w := &g.w
	w.str("status", status)
	if status == "cancelled" {
		w.cc("cancelationReason", cancelPatient.display, cancelPatient)
	}
	w.ccList("serviceType", serviceGeneralPractice.display, serviceGeneralPractice)
	typ, desc := apptRoutine, "Sick visit"
	switch v.kind {
	case visitWell:
		typ, desc = apptCheckup, "Annual preventive visit"
	case visitFollowUp:
		typ, desc = apptFollowUp, "Follow-up of chronic conditions"
	}
	w.cc("appointmentType", typ.display, typ)
	w.str("description", desc)
	w.dateTime("start", v.start)
	w.dateTime("end", v.end)
	w.int("minutesDuration", int((v.end-v.start)/60))
	var created int64
	switch {
	case v.kind == visitAcute:
		created = v.start - int64(g.between(1, 6))*3600
	case v.start > g.now:
		created = g.now - int64(g.between(1, 60))*daySeconds
	default:
		created = v.start - int64(g.between(7, 60))*daySeconds
	}
	created = min(max(created, int64(p.birth)*daySeconds), g.now)
	w.dateTime("created", created)
	w.arr("participant")
	w.elem()
	w.ref("actor", tPatient, &p.id, p.display)
	w.str("required", "required")
	if status == "cancelled" {
		w.str("status", "declined")
	} else {
		w.str("status", "accepted")
	}
	w.end()
	w.elem()
	w.ref("actor", tPractitioner, &v.prac.id, v.prac.display)
	w.str("required", "required")
	w.str("status", "accepted")
	w.end()
	loc, name := g.sh.location(p.addr.metro, siteClinic)
	w.elem()
	w.ref("actor", tLocation, loc, name)
	w.str("required", "information-only")
	w.str("status", "accepted")
	w.end()
	w.endArr()
	g.finish(tAppointment, &id)
	return id
}

// writeUpcoming books the next visits: a follow-up for patients with
// current problems, the next well-child check, or an annual visit.
func (g *gen) writeUpcoming() {
	p := &g.p
	book := func(kind visitKind, from, to int) {
		day := g.today + g.between(from, to)
		switch weekday(day) {
		case 0:
			day++
		case 6:
			day += 2
		}
		v := visit{kind: kind, day: day, acute: noAcute, prac: p.pcp}
		v.start = int64(day)*daySeconds + 13*3600 + int64(g.intn(35))*15*60
		v.end = v.start + 30*60
		g.writeAppointment(&v, "booked")
	}
	if g.anyActive(g.today) && g.chance(0.7) {
		book(visitFollowUp, 7, 90)
	}
	switch {
	case p.age < 18 && g.chance(0.5):
		book(visitWell, 14, 150)
	case p.age >= 18 && g.chance(0.25):
		book(visitWell, 14, 180)
	}
}
