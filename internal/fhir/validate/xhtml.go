package validate

import (
	"encoding/xml"
	"errors"
	"io"
	"strings"

	"github.com/emedpractice/emp/internal/ctrlchar"
)

// Narrative XHTML (R4 narrative.html, invariants txt-1 and txt-2 on
// Narrative.div). A narrative is shown to people by every client that
// displays a resource, often inside the client's own page, so markup that
// runs (script, event attributes, javascript: links) or fetches (external
// style sheets, frames, objects) would be stored cross-site scripting.
//
// txt-1: "The narrative SHALL contain only the basic html formatting
// elements and attributes described in chapters 7-11 (except section 4 of
// chapter 9) and 12 (except section 2.4.1 and 2.4.2) of the HTML 4.0
// standard, <a> elements (either name or href), images and internally
// contained style attributes". The element and attribute lists below are
// those of the HL7 reference validator, which implements txt-1 that way.
// txt-2: "The narrative SHALL have some non-whitespace content".
//
// The div must be well-formed XML with the XHTML namespace on its root; XML
// has no HTML entities (&nbsp;), only the five predefined and numeric ones.

const xhtmlNS = "http://www.w3.org/1999/xhtml"

// narrativeElements are the elements txt-1 allows.
var narrativeElements = set("p", "br", "div", "h1", "h2", "h3", "h4", "h5", "h6", "a", "span", "b", "em", "i",
	"strong", "small", "big", "tt", "dfn", "q", "var", "abbr", "acronym", "cite", "blockquote", "hr", "address",
	"bdo", "kbd", "sub", "sup", "ul", "ol", "li", "dl", "dt", "dd", "pre", "table", "caption", "colgroup", "col",
	"thead", "tr", "tfoot", "tbody", "th", "td", "code", "samp", "img", "map", "area")

// narrativeAttributes are the attributes any allowed element may carry.
var narrativeAttributes = set("title", "style", "class", "id", "lang", "dir", "accesskey", "tabindex",
	// tables
	"span", "width", "align", "valign", "char", "charoff", "abbr", "axis", "headers", "scope", "rowspan", "colspan")

// narrativeElementAttributes are those allowed on one element only.
var narrativeElementAttributes = set("a.href", "a.name", "a.charset", "a.type", "a.hreflang", "a.rel", "a.rev",
	"a.shape", "a.coords", "img.src", "img.alt", "img.longdesc", "img.height", "img.width", "img.usemap",
	"img.ismap", "img.border", "map.name", "area.shape", "area.coords", "area.href", "area.nohref", "area.alt",
	"table.summary", "table.width", "table.border", "table.frame", "table.rules", "table.cellspacing",
	"table.cellpadding", "td.nowrap", "th.nowrap", "blockquote.cite", "q.cite", "ol.start", "ol.type", "ul.type",
	"li.value", "li.type")

// narrativeElementAttribute reports whether the attribute is allowed on
// the element by narrativeElementAttributes, without building the key for
// the attributes allowed everywhere (the usual case).
func narrativeElementAttribute(elem, attr string) bool {
	var buf [48]byte
	if len(elem)+1+len(attr) > len(buf) {
		return false // no allowed pair is this long
	}
	k := append(append(append(buf[:0], elem...), '.'), attr...)
	return narrativeElementAttributes[string(k)] // no allocation: a map index by string(bytes)
}

// containsFold reports whether s contains the lower-case ASCII word w in
// any case, without allocating.
func containsFold(s, w string) bool {
	for i := 0; i+len(w) <= len(s); i++ {
		j := 0
		for j < len(w) && (s[i+j]|0x20) == w[j] {
			j++
		}
		if j == len(w) {
			return true
		}
	}
	return false
}

// narrativeURLs are the attributes holding a URL, whose scheme is checked.
var narrativeURLs = set("href", "src", "longdesc", "usemap", "cite")

func set(names ...string) map[string]bool {
	m := make(map[string]bool, len(names))
	for _, n := range names {
		m[n] = true
	}
	return m
}

// checkNarrative returns what is wrong with the XHTML of a narrative, or "".
//
// It reads raw tokens (no namespace translation, which costs most of
// encoding/xml's time) and keeps its own stack of open elements: an element
// or attribute with a prefix is refused (but xml:lang and xml:space), and
// the default namespace may only be XHTML's, declared on the root. So every
// element is in the XHTML namespace without resolving anything.
func checkNarrative(s string) string {
	if msg, decided := scanNarrative(s); decided {
		return msg
	}
	return parseNarrative(s)
}

// parseNarrative is checkNarrative by encoding/xml: every narrative the
// fast scanner (xhtmlscan.go) leaves undecided, and the reference the
// scanner is tested against.
func parseNarrative(s string) string {
	d := xml.NewDecoder(strings.NewReader(s))
	d.Strict = true
	var stack []string
	content, done := false, false
	for {
		tok, err := d.RawToken()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return "not well-formed XHTML: " + err.Error()
		}
		switch t := tok.(type) {
		case xml.StartElement:
			if done {
				return "must be one XHTML <div> element and nothing around it"
			}
			if msg := checkNarrativeElement(t, len(stack) == 0); msg != "" {
				return msg
			}
			if t.Name.Local == "img" {
				content = true // an image is content
			}
			stack = append(stack, t.Name.Local)
		case xml.EndElement:
			if len(stack) == 0 || t.Name.Space != "" || stack[len(stack)-1] != t.Name.Local {
				return "not well-formed XHTML: the end tag </" + t.Name.Local + "> does not match its start tag"
			}
			stack = stack[:len(stack)-1]
			done = len(stack) == 0
		case xml.CharData:
			// A character reference (&#133;) is a character once parsed.
			if r, bad := ctrlchar.Find(string(t)); bad {
				return ctrlchar.Describe(r)
			}
			if !isBlank(string(t)) {
				if len(stack) == 0 {
					return "must be one XHTML <div> element and nothing around it"
				}
				content = true
			}
		case xml.ProcInst:
			return "txt-1: processing instructions are not allowed in a narrative"
		case xml.Directive:
			return "txt-1: declarations (<!DOCTYPE>, <!ENTITY>) are not allowed in a narrative"
		}
	}
	if len(stack) > 0 {
		return "not well-formed XHTML: <" + stack[len(stack)-1] + "> is not closed"
	}
	if !content {
		return "txt-2: the narrative must have some non-whitespace content"
	}
	return ""
}

// checkNarrativeElement checks one element's name, namespace and
// attributes; root says it is the outermost element, which must be a div
// declaring the XHTML namespace.
func checkNarrativeElement(t xml.StartElement, root bool) string {
	name := t.Name.Local
	if t.Name.Space != "" {
		return "txt-1: the element <" + t.Name.Space + ":" + name + "> is not in the XHTML namespace"
	}
	declared := false
	for _, a := range t.Attr {
		switch {
		case a.Name.Space == "" && a.Name.Local == "xmlns":
			if a.Value != xhtmlNS {
				if root {
					break
				}
				return "txt-1: the element <" + name + "> is not in the XHTML namespace"
			}
			declared = true
		case a.Name.Space == "xmlns":
			return "txt-1: the namespace declaration xmlns:" + a.Name.Local + " is not allowed in a narrative"
		}
	}
	if root && (name != "div" || !declared) {
		return "must be a <div> element in the XHTML namespace (xmlns=\"" + xhtmlNS + "\")"
	}
	if !narrativeElements[name] {
		return "txt-1: the element <" + name + "> is not allowed in a narrative"
	}
	for _, a := range t.Attr {
		switch {
		case a.Name.Space == "" && a.Name.Local == "xmlns":
			continue
		case a.Name.Space == "xml" && (a.Name.Local == "lang" || a.Name.Local == "space"):
			continue
		case a.Name.Space != "":
			return "txt-1: the attribute " + a.Name.Space + ":" + a.Name.Local + " is not allowed in a narrative"
		}
		if r, bad := ctrlchar.Find(a.Value); bad {
			return "the attribute " + a.Name.Local + " " + ctrlchar.Describe(r)
		}
		attr := strings.ToLower(a.Name.Local)
		if !narrativeAttributes[attr] && !narrativeElementAttribute(name, attr) {
			return "txt-1: the attribute " + a.Name.Local + " is not allowed on <" + name + ">"
		}
		if narrativeURLs[attr] {
			if msg := checkNarrativeURL(name, attr, a.Value); msg != "" {
				return msg
			}
		}
		if attr == "style" {
			if msg := checkStyle(a.Value); msg != "" {
				return msg
			}
		}
	}
	return ""
}

// checkNarrativeURL refuses URLs that run script or carry a document of
// their own: javascript:, vbscript:, and data: other than an image's.
// Links and images may point anywhere else (txt-1 allows <a href> and
// images; a link is followed only when a person chooses to).
func checkNarrativeURL(elem, attr, v string) string {
	// Browsers ignore whitespace and control characters inside a scheme
	// ("java\tscript:"); so does this check.
	var b strings.Builder
	for _, r := range v {
		if r > ' ' {
			b.WriteRune(r)
		}
	}
	u := strings.ToLower(b.String())
	scheme, _, found := strings.Cut(u, ":")
	if !found || strings.ContainsAny(scheme, "/?#") {
		return "" // relative, or a fragment such as "#contained-id"
	}
	switch scheme {
	case "http", "https", "mailto", "tel", "urn":
		return ""
	case "data":
		if elem == "img" && attr == "src" && strings.HasPrefix(u, "data:image/") && !strings.HasPrefix(u, "data:image/svg") {
			return ""
		}
	}
	return "txt-1: the " + attr + " of <" + elem + "> must not be a " + scheme + ": URL"
}

// checkStyle allows inline style ("internally contained style attributes")
// but nothing in it that runs or fetches other than an image: url() may
// name an image as img src may (the HL7 publisher's tables use relative
// background images), and @import, expression(), behavior, -moz-binding and
// CSS escapes (which could spell any of them) are refused.
func checkStyle(v string) string {
	if !strings.ContainsAny(v, `(@\`) && !containsFold(v, "behavior") && !containsFold(v, "binding") && !containsFold(v, "script") {
		return "" // the usual "color: red; width: 10%": nothing below can match
	}
	s := strings.ToLower(v)
	if strings.Contains(s, `\`) {
		return "txt-1: a style attribute must not hold CSS escapes"
	}
	compact := strings.Join(strings.Fields(s), "")
	for _, bad := range []string{"@import", "expression(", "behavior:", "-moz-binding", "javascript:"} {
		if strings.Contains(compact, bad) {
			return "txt-1: a style attribute must not hold " + strings.TrimSuffix(bad, ":") + " (no external references or script)"
		}
	}
	for rest := compact; ; {
		_, after, found := strings.Cut(rest, "url(")
		if !found {
			return ""
		}
		arg, tail, _ := strings.Cut(after, ")")
		if msg := checkNarrativeURL("img", "src", strings.Trim(arg, `"'`)); msg != "" {
			return "txt-1: a style attribute's url() must name an image, not a " + strings.SplitN(arg, ":", 2)[0] + ": URL"
		}
		rest = tail
	}
}
