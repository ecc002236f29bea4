package validate

import (
	"strings"
	"testing"
)

// The generated tables hold together: lookups rely on the hash order, the
// code relies on the named constants.
func TestTablesConsistent(t *testing.T) {
	for id := range types {
		td := &types[id]
		es := td.elems()
		for i, e := range es {
			if e.hash != nameHash(e.name) {
				t.Errorf("%s.%s: hash %#x, want %#x", td.name, e.name, e.hash, nameHash(e.name))
			}
			if i > 0 && es[i-1].hash >= e.hash {
				t.Errorf("%s: %s and %s out of order", td.name, es[i-1].name, e.name)
			}
			if int(e.typ) >= len(types) {
				t.Errorf("%s.%s: type %d out of range", td.name, e.name, e.typ)
			}
			if int(e.bit) > int(td.ngroups) {
				t.Errorf("%s.%s: bit %d of %d", td.name, e.name, e.bit, td.ngroups)
			}
			if got, ok := td.lookup(e.name); !ok || got.name != e.name {
				t.Errorf("%s: lookup(%q) fails", td.name, e.name)
			}
		}
		if _, ok := td.lookup("noSuchElement"); ok {
			t.Errorf("%s: lookup of an unknown name succeeds", td.name)
		}
		if td.reqMask>>td.ngroups != 0 {
			t.Errorf("%s: required mask %#x beyond %d groups", td.name, td.reqMask, td.ngroups)
		}
	}
	named := map[typeID]string{tBase64Binary: "base64Binary", tBoolean: "boolean", tCanonical: "canonical", tCode: "code",
		tDate: "date", tDateTime: "dateTime", tDecimal: "decimal", tId: "id", tInstant: "instant", tInteger: "integer",
		tMarkdown: "markdown", tOid: "oid", tPositiveInt: "positiveInt", tString: "string", tTime: "time",
		tUnsignedInt: "unsignedInt", tUri: "uri", tUrl: "url", tUuid: "uuid", tXhtml: "xhtml", tElement: "Element", tReference: "Reference"}
	for id, name := range named {
		if types[id].name != name {
			t.Errorf("constant for %s names %s", name, types[id].name)
		}
	}
	if len(resourceTypes) < 140 {
		t.Errorf("only %d resource types", len(resourceTypes))
	}
	for i, id := range resourceTypes {
		if types[id].kind != kindResource {
			t.Errorf("%s is not a resource", types[id].name)
		}
		if i > 0 && types[resourceTypes[i-1]].name >= types[id].name {
			t.Errorf("resource types out of order at %s", types[id].name)
		}
		if got, ok := resourceType(types[id].name); !ok || got != id {
			t.Errorf("resourceType(%s) fails", types[id].name)
		}
	}
}

// Spot checks of what the generator must get right from the definitions.
func TestTablesContent(t *testing.T) {
	elem := func(typ, name string) *elemDef {
		t.Helper()
		for id := range types {
			if types[id].name == typ {
				e, ok := types[id].lookup(name)
				if !ok {
					t.Fatalf("%s has no %s", typ, name)
				}
				return e
			}
		}
		t.Fatalf("no type %s", typ)
		return nil
	}
	typeName := func(e *elemDef) string { return types[e.typ].name }
	for _, c := range []struct {
		typ, name, want string
		many            bool
	}{
		{"Patient", "id", "id", false}, // Resource.id is an id, not a string
		{"Patient", "name", "HumanName", true},
		{"Patient", "contact", "Patient.contact", true},
		{"Patient", "deceasedDateTime", "dateTime", false},
		{"Patient", "contained", "Resource", true},
		{"Questionnaire.item", "item", "Questionnaire.item", true}, // contentReference
		{"Observation", "valueQuantity", "Quantity", false},
		{"Observation.referenceRange", "low", "SimpleQuantity", false}, // Quantity profiled
		{"Dosage.doseAndRate", "doseQuantity", "SimpleQuantity", false},
		{"Timing", "repeat", "Timing.repeat", false}, // an Element with children
		{"Extension", "url", "uri", false},
		{"Extension", "valueMeta", "Meta", false},
		{"Element", "id", "string", false},
		{"Bundle.entry", "resource", "Resource", false},
		{"Narrative", "div", "xhtml", false},
	} {
		e := elem(c.typ, c.name)
		if typeName(e) != c.want || (e.flags&fMany != 0) != c.many {
			t.Errorf("%s.%s: %s many=%v, want %s many=%v", c.typ, c.name, typeName(e), e.flags&fMany != 0, c.want, c.many)
		}
	}
	if e := elem("Extension", "url"); e.flags&fAttr == 0 {
		t.Error("Extension.url is not marked an XML attribute")
	}
	for _, p := range patterns {
		if strings.HasPrefix(p, "^") {
			t.Errorf("pattern %q is anchored; the code anchors", p)
		}
	}
}

// TestTypeByName: every type of the table is found by its name, at its
// place, and the names are unique.
func TestTypeByName(t *testing.T) {
	for i := range types {
		if id, ok := typeByName(types[i].name); !ok || int(id) != i {
			t.Errorf("typeByName(%s) = %d %v, want %d", types[i].name, id, ok, i)
		}
	}
	if _, ok := typeByName("NoSuchType"); ok {
		t.Error("an unknown name is found")
	}
}
