package validate

// The shapes of the generated tables (zz_*.go). Types and elements refer to
// each other by index rather than by pointer or map so that the tables are
// plain constant data: nothing runs at start-up to build them, and they stay
// small in the binary.

// typeID indexes types.
type typeID uint16

type kind uint8

const (
	kindPrimitive   kind = iota + 1
	kindComplex          // a datatype or a BackboneElement: an object of elements
	kindResource         // a concrete resource: an object with resourceType
	kindAnyResource      // the abstract Resource: the JSON's resourceType decides
)

// jsonKind is how a value of a type is written in JSON.
type jsonKind uint8

const (
	jsonObject jsonKind = iota
	jsonString
	jsonNumber
	jsonBoolean
)

type typeDef struct {
	name    string
	kind    kind
	json    jsonKind
	first   uint16 // elements[first : first+n] are the type's elements
	n       uint16
	groups  uint16 // groups[groups+bit-1] names the element of presence bit bit
	ngroups uint8
	reqMask uint64 // presence bits of the required elements
}

// Element flags.
const (
	fMany    uint8 = 1 << iota // max is * (or >1): the JSON value is an array
	fChoice                    // one type of a choice element value[x]
	fAttr                      // an XML attribute (element id, Extension.url): no "_name"
	fSummary                   // part of the summary view (_summary=true)
)

type elemDef struct {
	name string // JSON property name; choice elements carry their type suffix
	hash uint32 // nameHash(name); a type's elements are sorted by it
	typ  typeID
	// bit is the 1-based presence bit of the element in its type, shared by
	// the types of a choice element; 0 for an optional, single-type one.
	bit   uint8
	flags uint8
}

func (t *typeDef) elems() []elemDef { return elements[t.first : int(t.first)+int(t.n)] }

// groupName is the element of a presence bit as the definition names it:
// "status", "value[x]".
func (t *typeDef) groupName(bit int) string { return groups[int(t.groups)+bit-1] }

// nameHash is 32-bit FNV-1a. The generator checks that no two elements of a
// type share a hash, so one string comparison confirms a match.
func nameHash(s string) uint32 {
	h := uint32(2166136261)
	for i := 0; i < len(s); i++ {
		h ^= uint32(s[i])
		h *= 16777619
	}
	return h
}

// lookup finds the element of a type by its JSON name.
func (t *typeDef) lookup(name string) (*elemDef, bool) {
	es := t.elems()
	h := nameHash(name)
	lo, hi := 0, len(es)
	for lo < hi {
		m := int(uint(lo+hi) >> 1)
		if es[m].hash < h {
			lo = m + 1
		} else {
			hi = m
		}
	}
	if lo < len(es) && es[lo].name == name {
		return &es[lo], true
	}
	return nil, false
}

// resourceType finds a concrete resource type by name.
func resourceType(name string) (typeID, bool) {
	lo, hi := 0, len(resourceTypes)
	for lo < hi {
		m := int(uint(lo+hi) >> 1)
		if types[resourceTypes[m]].name < name {
			lo = m + 1
		} else {
			hi = m
		}
	}
	if lo < len(resourceTypes) && types[resourceTypes[lo]].name == name {
		return resourceTypes[lo], true
	}
	return 0, false
}
