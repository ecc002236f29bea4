package validate

import (
	"github.com/emedpractice/emp/internal/ctrlchar"
	"os"
	"path/filepath"
	"testing"
	"unicode/utf8"
)

// narrativeCorpus is narratives of every shape the tests use, and the
// US Core examples' own.
func narrativeCorpus(t testing.TB) []string {
	x := `<div xmlns="http://www.w3.org/1999/xhtml">`
	out := []string{
		x + `<p>Harper <b>Cook</b></p></div>`,
		x + `<p title='a' class="b">x &amp; y &lt; z</p><br/><img src="#p"/></div>`,
		x + `<p>a</div>`,
		x + `<p>a</p></div><p/>`,
		x + `</div>`,
		x + `<script>x</script></div>`,
		x + `<p onclick="x">a</p></div>`,
		x + `<a href="javascript:x">a</a></div>`,
		x + `<a href="java&#9;script:x">a</a></div>`,
		x + `<p style="background:url(x.png)">a</p></div>`,
		x + `<!-- c --><p>a</p></div>`,
		x + `<![CDATA[<script>]]></div>`,
		x + `a&nbsp;b</div>`,
		x + `<p xml:lang="en">a</p></div>`,
		x + `<h:p xmlns:h="http://www.w3.org/1999/xhtml">a</h:p></div>`,
		x + `<p xmlns="http://www.w3.org/2000/svg">a</p></div>`,
		`<div xmlns="http://www.w3.org/2000/svg">a</div>`,
		`<div>a</div>`,
		x + `<p a="1" a="2">x</p></div>`,
		x + `<p title="a>b">x</p></div>`,
		x + `<p title=a>x</p></div>`,
		x + `<p title="x"title="y">x</p></div>`,
		x + `<P>x</p></div>`,
		x + `<p >x</p ></div>`,
		x + "<p\ttitle=\"a\"\n>x</p></div>",
		x + `<img src="x"/ ></div>`,
		x + `<table><tr><td colspan="2">1</td></tr></table></div>`,
		"  " + x + "x</div>\n",
		x + `x</div>trailing`,
		x + `<p>]]&gt;</p></div>`,
		x + `<p>a &amp b</p></div>`,
		x + `<p title="a &quot;b&quot; &amp; c">x</p></div>`,
		x + `<a href="jav&amp;ascript:x">x</a></div>`,
		x + `<a href="javascript&#58;x">x</a></div>`,
		x + "<p title=\"a\r\nb\rc\">x</p></div>",
		x + "<a href=\"java\nscript:x\">x</a></div>",
		x + `<p title="a &lt; b">x</p></div>`,
		x + `<p style="color:&quot;red&quot;">x</p></div>`,
	}
	files, _ := filepath.Glob("testdata/us-core/*.json")
	for _, f := range files {
		raw, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		res := decode(t, raw)
		if text, ok := res["text"].(map[string]any); ok {
			if d, ok := text["div"].(string); ok {
				out = append(out, d)
			}
		}
	}
	return out
}

// TestScanNarrativeAgrees: where the fast scanner decides, it decides as
// encoding/xml does, message for message; and it decides the common
// narratives (the US Core examples') itself.
func TestScanNarrativeAgrees(t *testing.T) {
	decided := 0
	corpus := narrativeCorpus(t)
	for _, s := range corpus {
		msg, ok := scanNarrative(s)
		if !ok {
			continue
		}
		decided++
		if want := parseNarrative(s); msg != want {
			t.Errorf("%q: scanner %q, encoding/xml %q", s, msg, want)
		}
	}
	if decided < len(corpus)/2 {
		t.Errorf("the scanner decided only %d of %d narratives", decided, len(corpus))
	}
}

func FuzzScanNarrative(f *testing.F) {
	for _, s := range narrativeCorpus(f) {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if !isXHTMLDiv(s) || !utf8.ValidString(s) {
			return // checkNarrative is not called on these (JSON strings are valid UTF-8)
		}
		if _, bad := findControl(s); bad {
			return // refused before the narrative is read
		}
		msg, ok := scanNarrative(s)
		if !ok {
			return
		}
		if want := parseNarrative(s); msg != want {
			t.Errorf("%q: scanner %q, encoding/xml %q", s, msg, want)
		}
	})
}

func findControl(s string) (rune, bool) { return ctrlchar.Find(s) }
