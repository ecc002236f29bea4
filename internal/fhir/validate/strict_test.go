package validate

import "testing"

// Control characters in any string-typed primitive are refused, naming the
// element (FHIR datatypes: strings SHALL NOT hold characters below U+0020
// other than tab, CR and LF; DEL and C1 are refused too, see ctrlchar).
func TestControlCharacters(t *testing.T) {
	const msg = "must not contain control characters"
	runCases(t, []badCase{
		{"NUL in string", "", `{"resourceType":"Patient","name":[{"family":"a\u0000b"}]}`, []string{`Patient.name[0].family: ` + msg}},
		{"escape in code", "", `{"resourceType":"Patient","gender":"male\u001b"}`, []string{`Patient.gender: ` + msg}},
		{"form feed in markdown", "Observation", `{"resourceType":"Observation","status":"final","code":{"text":"x"},"note":[{"text":"a\fb"}]}`, []string{`Observation.note[0].text: ` + msg}},
		{"vertical tab in uri", "", `{"resourceType":"Patient","extension":[{"url":"http://x\u000b","valueString":"a"}]}`, []string{`Patient.extension[0].url: ` + msg}},
		{"DEL in id", "", `{"resourceType":"Patient","id":"a\u007f"}`, []string{`Patient.id: ` + msg}},
		{"C1 in string", "", `{"resourceType":"Patient","name":[{"text":"a\u0085"}]}`, []string{`Patient.name[0].text: U+0085`}},
		{"in a primitive's extension id", "", `{"resourceType":"Patient","birthDate":"2020","_birthDate":{"id":"\u0001"}}`, []string{`Patient._birthDate.id: ` + msg}},
		{"in a contained resource", "", `{"resourceType":"Patient","contained":[{"resourceType":"Organization","id":"o","name":"\u0002"}],"managingOrganization":{"reference":"#o"}}`, []string{`Patient.contained[0].name: ` + msg}},
		{"in a date", "", `{"resourceType":"Patient","birthDate":"2020\u0000"}`, []string{`Patient.birthDate: ` + msg}},
	})
	// Tab, CR and LF are text.
	if got := check(t, "Patient", `{"resourceType":"Patient","name":[{"text":"a\tb\r\nc"}]}`); got != nil {
		t.Fatalf("tab, CR, LF refused: %v", got)
	}
}

// narr is a Patient whose narrative div is inner, wrapped in the XHTML div.
func narr(inner string) string {
	return narrRaw(`<div xmlns=\"http://www.w3.org/1999/xhtml\">` + inner + `</div>`)
}

// narrRaw is a Patient whose narrative div is div as written (JSON-escaped).
func narrRaw(div string) string {
	return `{"resourceType":"Patient","text":{"status":"generated","div":"` + div + `"}}`
}

func TestNarrative(t *testing.T) {
	const f = `Patient.text.div: `
	runCases(t, []badCase{
		{"script", "", narr(`<p>hi</p><script>alert(1)</script>`), []string{f + `txt-1: the element <script> is not allowed`}},
		{"iframe", "", narr(`<iframe src=\"https://evil.example\"></iframe>x`), []string{f + `txt-1: the element <iframe>`}},
		{"object", "", narr(`<object data=\"x.swf\"></object>x`), []string{f + `txt-1: the element <object>`}},
		{"embed", "", narr(`<embed src=\"x.swf\"/>x`), []string{f + `txt-1: the element <embed>`}},
		{"form", "", narr(`<form action=\"https://evil.example\"><input name=\"p\"/></form>`), []string{f + `txt-1: the element <form>`}},
		{"style element", "", narr(`<style>p{}</style>x`), []string{f + `txt-1: the element <style>`}},
		{"link element", "", narr(`<link rel=\"stylesheet\" href=\"https://evil.example/x.css\"/>x`), []string{f + `txt-1: the element <link>`}},
		{"event attribute", "", narr(`<p onclick=\"alert(1)\">hi</p>`), []string{f + `txt-1: the attribute onclick is not allowed on <p>`}},
		{"event attribute on the div", "", narrRaw(`<div xmlns=\"http://www.w3.org/1999/xhtml\" onmouseover=\"x()\">hi</div>`), []string{f + `txt-1: the attribute onmouseover`}},
		{"javascript link", "", narr(`<a href=\"javascript:alert(1)\">x</a>`), []string{f + `txt-1: the href of <a> must not be a javascript: URL`}},
		{"javascript link with a tab", "", narr(`<a href=\"java&#9;script:alert(1)\">x</a>`), []string{f + `txt-1: the href of <a> must not be a javascript: URL`}},
		{"vbscript link upper case", "", narr(`<a href=\"VBScript:x\">x</a>`), []string{f + `txt-1: the href of <a> must not be a vbscript: URL`}},
		{"data link", "", narr(`<a href=\"data:text/html,&lt;script&gt;\">x</a>`), []string{f + `txt-1: the href of <a> must not be a data: URL`}},
		{"data image of html", "", narr(`<img src=\"data:text/html;base64,PHNjcmlwdD4=\"/>`), []string{f + `txt-1: the src of <img> must not be a data: URL`}},
		{"svg image as data", "", narr(`<img src=\"data:image/svg+xml;base64,PHN2Zz4=\"/>`), []string{f + `txt-1: the src of <img> must not be a data: URL`}},
		{"style url script", "", narr(`<p style=\"background:url(javascript:alert(1))\">x</p>`), []string{f + `txt-1: a style attribute must not hold javascript`}},
		{"style expression", "", narr(`<p style=\"width: expression(alert(1))\">x</p>`), []string{f + `txt-1: a style attribute must not hold expression(`}},
		{"style import", "", narr(`<p style=\"@import 'https://evil.example/x.css'\">x</p>`), []string{f + `txt-1: a style attribute must not hold @import`}},
		{"style escape", "", narr(`<p style=\"background:\\75rl(x)\">x</p>`), []string{f + `txt-1: a style attribute must not hold CSS escapes`}},
		{"other namespace", "", narr(`<svg xmlns=\"http://www.w3.org/2000/svg\"><script>x</script></svg>`), []string{f + `txt-1: the element <svg> is not in the XHTML namespace`}},
		{"xlink attribute", "", narr(`<a xmlns:xlink=\"http://www.w3.org/1999/xlink\" xlink:href=\"javascript:x\">x</a>`), []string{f + `txt-1: the namespace declaration xmlns:xlink`}},
		{"no namespace", "", narrRaw(`<div>hi</div>`), []string{f + `must be a <div> element in the XHTML namespace`}},
		{"not well-formed", "", narr(`<p>hi</div>`), []string{f + `not well-formed XHTML`}},
		{"html entity", "", narr(`a&nbsp;b`), []string{f + `not well-formed XHTML`}},
		{"doctype", "", narrRaw(`<!DOCTYPE div><div xmlns=\"http://www.w3.org/1999/xhtml\">x</div>`), []string{f + `must be an XHTML <div> element`}},
		{"processing instruction", "", narr(`<?php x ?>hi`), []string{f + `txt-1: processing instructions`}},
		{"something after the div", "", narrRaw(`<div xmlns=\"http://www.w3.org/1999/xhtml\">x</div><div xmlns=\"http://www.w3.org/1999/xhtml\">y</div>`), []string{f + `must be one XHTML <div> element`}},
		{"empty", "", narrRaw(`<div xmlns=\"http://www.w3.org/1999/xhtml\"/>`), []string{f + `txt-2: the narrative must have some non-whitespace content`}},
		{"only whitespace", "", narr(`<p> </p>\n`), []string{f + `txt-2`}},
		{"in a contained resource", "", `{"resourceType":"Patient","contained":[{"resourceType":"Organization","id":"o","name":"x","text":{"status":"generated","div":"<div xmlns=\"http://www.w3.org/1999/xhtml\"><script/>x</div>"}}],"managingOrganization":{"reference":"#o"}}`,
			[]string{`Patient.contained[0].text.div: txt-1: the element <script>`}},
	})
	for _, ok := range []string{
		narr(`<p>Harper <b>Cook</b>, born 1970</p>`),
		narr(`<table class=\"grid\" border=\"1\"><thead><tr><th scope=\"col\">a</th></tr></thead><tbody><tr><td colspan=\"2\" style=\"color: red; background: url(tbl_bck1.png)\">1</td></tr></tbody></table>`),
		narr(`<a href=\"https://hl7.org/fhir\">spec</a> <a name=\"top\">top</a> <a href=\"#o\">org</a> <a href=\"mailto:a@example.org\">mail</a>`),
		narr(`<img src=\"#photo\" alt=\"photo\"/>`),
		narr(`<img src=\"https://example.org/x.png\"/>`),
		narr(`<img src=\"data:image/png;base64,iVBORw0KGgo=\"/>`),
		narr(`<ul><li>one</li></ul><ol><li>two</li></ol><dl><dt>a</dt><dd>b</dd></dl><pre>x</pre><br/><hr/>`),
		narr(`<p xml:lang=\"en\" lang=\"en\" dir=\"ltr\" title=\"t\" id=\"p1\">x &amp; y &lt; z &#160;</p><!-- comment -->`),
		narrRaw(`  <div xmlns=\"http://www.w3.org/1999/xhtml\">x</div>\n`),
	} {
		if got := check(t, "Patient", ok); got != nil {
			t.Errorf("%s refused: %v", ok, got)
		}
	}
}

func TestContainedRules(t *testing.T) {
	const org = `{"resourceType":"Organization","id":"o","name":"x"}`
	runCases(t, []badCase{
		{"no id", "", `{"resourceType":"Patient","contained":[{"resourceType":"Organization","name":"x"}]}`,
			[]string{`Patient.contained[0].id: is required`}},
		{"ids not unique", "", `{"resourceType":"Patient","contained":[` + org + `,` + org + `],"managingOrganization":{"reference":"#o"}}`,
			[]string{`Patient.contained[1].id: contained[0] has the same id "o"`}},
		{"dom-2 nested", "", `{"resourceType":"Patient","contained":[{"resourceType":"Organization","id":"o","name":"x","contained":[{"resourceType":"Organization","id":"p","name":"y"}],"partOf":{"reference":"#p"}}],"managingOrganization":{"reference":"#o"}}`,
			[]string{`Patient.contained[0].contained: dom-2`}},
		{"dom-3 not referenced", "", `{"resourceType":"Patient","contained":[` + org + `]}`,
			[]string{`Patient.contained[0]: dom-3: the contained resource "o" is not referenced`}},
		{"dom-3 referenced elsewhere only by another id", "", `{"resourceType":"Patient","contained":[` + org + `],"managingOrganization":{"reference":"#other"}}`,
			[]string{`Patient.contained[0]: dom-3`}},
		{"dom-4 versionId", "", `{"resourceType":"Patient","contained":[{"resourceType":"Organization","id":"o","name":"x","meta":{"versionId":"1","lastUpdated":"2024-01-01T00:00:00Z"}}],"managingOrganization":{"reference":"#o"}}`,
			[]string{`Patient.contained[0].meta.versionId: dom-4`, `Patient.contained[0].meta.lastUpdated: dom-4`}},
		{"dom-5 security", "", `{"resourceType":"Patient","contained":[{"resourceType":"Organization","id":"o","name":"x","meta":{"security":[{"code":"R"}]}}],"managingOrganization":{"reference":"#o"}}`,
			[]string{`Patient.contained[0].meta.security: dom-5`}},
		{"in a bundle entry", "Bundle", `{"resourceType":"Bundle","type":"collection","entry":[{"resource":{"resourceType":"Patient","contained":[{"resourceType":"Organization","name":"x"}]}}]}`,
			[]string{`Bundle.entry[0].resource.contained[0].id: is required`}},
	})
	for _, ok := range []string{
		`{"resourceType":"Patient","contained":[` + org + `],"managingOrganization":{"reference":"#o"}}`,
		// referenced from another contained resource
		`{"resourceType":"Patient","contained":[` + org + `,{"resourceType":"Organization","id":"p","name":"y","partOf":{"reference":"#o"}}],"managingOrganization":{"reference":"#p"}}`,
		// referencing the container
		`{"resourceType":"Observation","status":"final","code":{"text":"x"},"contained":[{"resourceType":"Provenance","id":"pv","target":[{"reference":"#"}],"recorded":"2024-01-01T00:00:00Z","agent":[{"who":{"display":"x"}}]}]}`,
		// a canonical naming a contained resource
		`{"resourceType":"Questionnaire","status":"draft","contained":[{"resourceType":"ValueSet","id":"vs","status":"draft"}],"item":[{"linkId":"1","type":"choice","answerValueSet":"#vs"}]}`,
	} {
		res := decode(t, []byte(ok))
		if err := Resource(res["resourceType"].(string), res); err != nil {
			t.Errorf("%s refused:%s", ok, describe(err))
		}
	}
}

func TestNarrativeNamespaces(t *testing.T) {
	const f = `Patient.text.div: `
	runCases(t, []badCase{
		{"prefixed element", "", narr(`<h:p xmlns:h=\"http://www.w3.org/1999/xhtml\">x</h:p>`), []string{f + `txt-1: the element <h:p> is not in the XHTML namespace`}},
		{"default namespace changed inside", "", narr(`<p xmlns=\"http://www.w3.org/2000/svg\">x</p>`), []string{f + `txt-1: the element <p> is not in the XHTML namespace`}},
		{"root in another namespace", "", narrRaw(`<div xmlns=\"http://www.w3.org/2000/svg\">x</div>`), []string{f + `must be a <div> element in the XHTML namespace`}},
		{"root not a div", "", narrRaw(`<div xmlns=\"http://www.w3.org/1999/xhtml\">x</div>`[:0] + `<divx xmlns=\"http://www.w3.org/1999/xhtml\">x</div>`), []string{f + `must be an XHTML <div> element`}},
		{"unclosed", "", narrRaw(`<div xmlns=\"http://www.w3.org/1999/xhtml\"><p>x</div>`), []string{f + `not well-formed XHTML`}},
		{"numeric reference to a control", "", narr(`a&#0;b`), []string{f + `not well-formed XHTML`}},
		{"numeric reference to C1", "", narr(`a&#133;b`), []string{f + `must not contain control characters`}},
		{"numeric reference to DEL in an attribute", "", narr(`<p title=\"a&#127;\">b</p>`), []string{f + `the attribute title must not contain control characters`}},
	})
	if got := check(t, "Patient", narr(`<p xmlns=\"http://www.w3.org/1999/xhtml\">x</p>`)); got != nil {
		t.Errorf("redeclared XHTML namespace refused: %v", got)
	}
}
