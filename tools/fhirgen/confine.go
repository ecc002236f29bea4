package main

import (
	"bytes"
	"fmt"
	"slices"
	"sort"
	"strings"
)

// elemType is one type of an element in a StructureDefinition's snapshot;
// TargetProfile lists a Reference's allowed targets.
type elemType struct {
	Code          string
	TargetProfile []string
}

// linkTables say how a resource of a type outside the patient compartment
// is tied to patients, so that a patient's token sees only its own:
//
//   - params: the type's reference search parameters that may point at a
//     Patient (Device patient, Contract subject, VerificationResult
//     target, …). Their index rows name the patients.
//   - elements: for a type with no such parameter, its Reference elements
//     that may point at a Patient or at any resource (Binary
//     securityContext), as dotted JSON paths (a choice element by its
//     Reference name, valueReference): the patients they name, or the
//     patients of the resource they name.
//   - containers: elements holding whole resources (Bundle entry.resource):
//     the patients of every resource inside.
//
// A type with none of the three holds no patient's data: it is shared
// reference data (Practitioner, Organization, Medication, ValueSet…).
type linkTables struct {
	params, elements, containers map[string][]string
	// refElems collects, while structures load, each resource type's
	// Reference elements that may point at a Patient or at any resource,
	// and its elements holding a Resource.
	refElems, resElems map[string][]string
}

func (g *gen) noteLinkElement(rtype, path string, choice bool, types []elemType) {
	if g.links.refElems == nil {
		g.links.refElems, g.links.resElems = map[string][]string{}, map[string][]string{}
	}
	rel, ok := strings.CutPrefix(path, rtype+".")
	if !ok {
		return
	}
	for _, t := range types {
		switch t.Code {
		case "Resource":
			// DomainResource.contained: contained resources are part of
			// the container and already indexed through it.
			if rel != "contained" {
				g.links.resElems[rtype] = append(g.links.resElems[rtype], rel)
			}
		case "Reference":
			for _, p := range t.TargetProfile {
				name := p[strings.LastIndexByte(p, '/')+1:]
				if name == "Patient" || name == "Resource" {
					if choice { // value[x] holds a Reference as valueReference
						rel += "Reference"
					}
					g.links.refElems[rtype] = append(g.links.refElems[rtype], rel)
					break
				}
			}
		}
	}
}

// linkPatients fills the link tables for every type outside the
// compartment (and not Patient itself).
func (g *gen) linkPatients() {
	g.links.params, g.links.elements, g.links.containers = map[string][]string{}, map[string][]string{}, map[string][]string{}
	for _, t := range g.types {
		if t == "Patient" || len(g.compart[t]) > 0 {
			continue
		}
		for code, p := range g.params[t] {
			if p.Type == "reference" && slices.Contains(p.Targets, "Patient") {
				g.links.params[t] = append(g.links.params[t], code)
			}
		}
		sort.Strings(g.links.params[t])
		if len(g.links.params[t]) == 0 {
			if els := g.links.refElems[t]; len(els) > 0 {
				g.links.elements[t] = els
			}
		}
		if els := g.links.resElems[t]; len(els) > 0 {
			g.links.containers[t] = els
		}
	}
}

func (g *gen) renderLinks(b *bytes.Buffer) {
	for _, tbl := range []struct {
		name string
		m    map[string][]string
	}{{"patientLinkParams", g.links.params}, {"patientLinkElements", g.links.elements}, {"resourceContainers", g.links.containers}} {
		fmt.Fprintf(b, "var %s = map[string][]string{\n", tbl.name)
		var ts []string
		for t := range tbl.m {
			ts = append(ts, t)
		}
		sort.Strings(ts)
		for _, t := range ts {
			fmt.Fprintf(b, "%q: %#v,\n", t, tbl.m[t])
		}
		b.WriteString("}\n\n")
	}
}
