package seed

// Care planning: every patient has a care team; current problems get goals
// and a care plan (US Core assess-plan) whose narrative summarises it.

var (
	careTeamCategory = loinc("LA28865-6", "Longitudinal care-coordination focused care team")
	assessPlan       = term{sysCarePlanCat, "assess-plan", "Assessment and Plan of Treatment"}
	wellChildCare    = sct("409073007", "Education")
)

func (g *gen) writeCarePlanning() {
	p := &g.p
	start := p.winStart
	if p.firstVisit != noDay {
		start = p.firstVisit
	}
	team := g.writeCareTeam(start)

	// One goal per kind, for the first current problem that calls for it.
	var have [numGoals]bool
	var goals [numGoals]uid
	nGoals := 0
	for i := range p.conds {
		c := &p.conds[i]
		k := chronicDefs[c.kind].goal
		if k == gNone || have[k] || !c.activeOn(g.today) {
			continue
		}
		have[k] = true
		goals[nGoals] = g.writeGoal(k, c)
		nGoals++
	}
	active := 0
	for i := range p.conds {
		if p.conds[i].activeOn(g.today) {
			active++
		}
	}
	if active > 0 || p.age < 18 {
		g.writeCarePlan(start, &team, goals[:nGoals])
	}
}

func (g *gen) writeCareTeam(start int) uid {
	p := &g.p
	id := g.begin(tCareTeam)
	w := &g.w
	w.str("status", "active")
	w.ccList("category", "", careTeamCategory)
	w.str("name", "Primary care team")
	g.subject("subject")
	w.periodDays("period", start, noDay)
	w.arr("participant")
	w.elem()
	w.ccList("role", careRolePatient.display, careRolePatient)
	w.ref("member", tPatient, &p.id, p.display)
	w.end()
	member := func(c *clinician, org *uid, orgName string) {
		r := pracDefs[c.kind].careRole
		w.elem()
		w.ccList("role", r.display, r)
		w.ref("member", tPractitioner, &c.id, c.display)
		w.ref("onBehalfOf", tOrganization, org, orgName)
		w.end()
	}
	member(p.pcp, &g.sh.practice, practiceName)
	member(g.sh.prac(pkNurse, p.addr.metro), &g.sh.practice, practiceName)
	if g.hasActive(cCAD, g.today) || g.hasActive(cAFib, g.today) || g.hasActive(cHF, g.today) {
		member(g.sh.prac(pkCardiology, 0), &g.sh.hospital, hospitalName)
	}
	w.endArr()
	w.refList("managingOrganization", tOrganization, &g.sh.practice, practiceName)
	g.finish(tCareTeam, &id)
	return id
}

func (g *gen) writeGoal(k goalKind, c *cond) uid {
	p := &g.p
	d := &goalDefs[k]
	start := min(max(c.recorded, p.winStart), g.today-1)
	due := start + g.between(180, 365)
	completed := due < g.today && g.chance(0.3)
	id := g.begin(tGoal)
	w := &g.w
	if completed {
		w.str("lifecycleStatus", "completed")
		w.cc("achievementStatus", goalAchieved.display, goalAchieved)
	} else {
		w.str("lifecycleStatus", "active")
		if g.chance(0.5) {
			w.cc("achievementStatus", goalImproving.display, goalImproving)
		} else {
			w.cc("achievementStatus", goalInProgress.display, goalInProgress)
		}
	}
	w.obj("description")
	w.str("text", d.text)
	w.end()
	g.subject("subject")
	w.date("startDate", start)
	w.arr("target")
	w.elem()
	w.cc("measure", d.measure.display, d.measure)
	if d.unit != "" {
		w.obj("detailQuantity")
		w.dec("value", d.value, d.prec)
		w.str("comparator", d.comparator)
		w.str("unit", d.unit)
		w.str("system", sysUCUM)
		w.str("code", d.ucum)
		w.end()
	} else {
		w.str("detailString", d.detail)
	}
	w.date("dueDate", due)
	w.end()
	w.endArr()
	w.ref("expressedBy", tPractitioner, &p.pcp.id, p.pcp.display)
	w.refList("addresses", tCondition, &c.id, chronicDefs[c.kind].snomed.display)
	g.finish(tGoal, &id)
	return id
}

func (g *gen) writeCarePlan(start int, team *uid, goals []uid) {
	p := &g.p
	id := g.begin(tCarePlan)
	w := &g.w
	title := "Chronic disease management plan"
	if p.age < 18 {
		title = "Well child care plan"
	}

	// The narrative: the plan's problems and what is being done for them.
	w.obj("text")
	w.str("status", "generated")
	w.key("div")
	w.b = append(w.b, `"<div xmlns=\"`...)
	w.b = append(w.b, xhtmlNS...)
	w.b = append(w.b, `\"><p><b>`...)
	w.b = appendXMLText(w.b, title)
	w.b = append(w.b, `</b></p><ul>`...)
	for i := range p.conds {
		c := &p.conds[i]
		if !c.activeOn(g.today) {
			continue
		}
		d := &chronicDefs[c.kind]
		w.b = append(w.b, "<li>"...)
		w.b = appendXMLText(w.b, d.snomed.display)
		w.b = append(w.b, ": "...)
		w.b = appendXMLText(w.b, d.activity.display)
		w.b = append(w.b, "</li>"...)
	}
	if p.age < 18 {
		w.b = append(w.b, "<li>Anticipatory guidance on nutrition, safety and development</li>"...)
	}
	w.b = append(w.b, `</ul></div>"`...)
	w.end()

	w.str("status", "active")
	w.str("intent", "plan")
	w.ccList("category", "", assessPlan)
	w.str("title", title)
	g.subject("subject")
	w.periodDays("period", start, noDay)
	w.date("created", start)
	w.ref("author", tPractitioner, &p.pcp.id, p.pcp.display)
	w.refList("careTeam", tCareTeam, team, "Primary care team")
	n := 0
	for i := range p.conds {
		if p.conds[i].activeOn(g.today) {
			if n == 0 {
				w.arr("addresses")
			}
			n++
			c := &p.conds[i]
			w.refElem(tCondition, &c.id, chronicDefs[c.kind].snomed.display)
		}
	}
	if n > 0 {
		w.endArr()
	}
	if len(goals) > 0 {
		w.arr("goal")
		for i := range goals {
			w.refElem(tGoal, &goals[i], "")
		}
		w.endArr()
	}
	w.arr("activity")
	if p.age < 18 {
		g.activity(wellChildCare, "Anticipatory guidance on nutrition, safety and development")
	}
	for i := range p.conds {
		c := &p.conds[i]
		if c.activeOn(g.today) {
			a := chronicDefs[c.kind].activity
			g.activity(a, a.display+" for "+chronicDefs[c.kind].snomed.display)
		}
	}
	w.endArr()
	g.finish(tCarePlan, &id)
}

func (g *gen) activity(code term, description string) {
	w := &g.w
	w.elem()
	w.obj("detail")
	w.cc("code", code.display, code)
	w.str("status", "in-progress")
	w.refList("performer", tPractitioner, &g.p.pcp.id, g.p.pcp.display)
	w.str("description", description)
	w.end()
	w.end()
}

// appendXMLText escapes text for XHTML and, since it lands inside a JSON
// string, for JSON too (the generated text has no quotes or controls).
func appendXMLText(b []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		switch c := s[i]; c {
		case '&':
			b = append(b, "&amp;"...)
		case '<':
			b = append(b, "&lt;"...)
		case '>':
			b = append(b, "&gt;"...)
		case '"':
			b = append(b, "&quot;"...)
		default:
			b = append(b, c)
		}
	}
	return b
}
