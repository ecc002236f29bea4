package validate

import (
	"fmt"
	"strconv"
)

// Contained resources (R4 references.html#contained and the DomainResource
// invariants). A contained resource has no identity of its own: it is
// found by its id inside the container, so it must have one, unique among
// the container's; and it may not carry versioning or security of its own.
//
//   - id required and unique: the only way to reference a contained resource
//     is "#id"; without one, or with two alike, a reference is ambiguous.
//   - dom-2: a contained resource SHALL NOT contain nested resources.
//   - dom-3: a contained resource SHALL be referred to from elsewhere in the
//     resource or SHALL refer to the containing resource ("#"). A reference
//     here is any string value in the resource equal to "#id" (the FHIRPath
//     asks for Reference.reference and canonical/uri/url values; a free-text
//     value that is exactly "#id" is a theoretical looser case).
//   - dom-4: no meta.versionId or meta.lastUpdated on a contained resource.
//   - dom-5: no meta.security on a contained resource.
//
// Items that are not objects, or name no known resource type, have been
// reported by the walk and are skipped here.

// containedRules checks the contained resources of the resource obj; the
// validator's path is at obj.
func (v *validator) containedRules(obj map[string]any) {
	list, ok := obj["contained"].([]any)
	if !ok || len(list) == 0 {
		return
	}
	var refs map[string]bool // every "#…" string in the resource, built on first need
	seen := map[string]int{}
	for i, item := range list {
		c, ok := item.(map[string]any)
		if !ok {
			continue
		}
		if rt, _ := c["resourceType"].(string); rt == "" {
			continue
		} else if _, known := resourceType(rt); !known {
			continue
		}
		at := "contained[" + strconv.Itoa(i) + "]"
		if _, nested := c["contained"]; nested {
			v.failAt(at+".contained", "dom-2: a contained resource must not contain other resources")
		}
		if meta, ok := c["meta"].(map[string]any); ok {
			for _, m := range []string{"versionId", "lastUpdated"} {
				if _, has := meta[m]; has {
					v.failAt(at+".meta."+m, "dom-4: a contained resource must not have a meta."+m)
				}
			}
			if _, has := meta["security"]; has {
				v.failAt(at+".meta.security", "dom-5: a contained resource must not have security labels")
			}
		}
		raw, present := c["id"]
		id, isString := raw.(string)
		switch {
		case !present:
			v.failAt(at+".id", "is required: a contained resource is referenced by its id (#id)")
			continue
		case !isString || !isID(id):
			continue // reported by the walk
		}
		if first, dup := seen[id]; dup {
			v.failAt(at+".id", fmt.Sprintf("contained[%d] has the same id %s: ids of contained resources must be unique", first, quoted(id)))
			continue
		}
		seen[id] = i
		if refs == nil {
			refs = map[string]bool{}
			collectLocalRefs(obj, refs)
		}
		if !refs["#"+id] && !refersTo(c, "#") {
			v.failAt(at, fmt.Sprintf("dom-3: the contained resource %s is not referenced from the resource (#%s) and does not reference it (#)", quoted(id), id))
		}
	}
}

// collectLocalRefs adds every string value of v that starts with "#".
func collectLocalRefs(v any, into map[string]bool) {
	switch x := v.(type) {
	case string:
		if len(x) > 0 && x[0] == '#' {
			into[x] = true
		}
	case []any:
		for _, item := range x {
			collectLocalRefs(item, into)
		}
	case map[string]any:
		for _, item := range x {
			collectLocalRefs(item, into)
		}
	}
}

// refersTo reports whether some string value inside v is exactly target.
func refersTo(v any, target string) bool {
	switch x := v.(type) {
	case string:
		return x == target
	case []any:
		for _, item := range x {
			if refersTo(item, target) {
				return true
			}
		}
	case map[string]any:
		for _, item := range x {
			if refersTo(item, target) {
				return true
			}
		}
	}
	return false
}
