package seed

import (
	"encoding/json"
	"testing"
	"time"
)

func TestCivilMatchesTimePackage(t *testing.T) {
	for day := -60000; day <= 60000; day += 7 {
		want := time.Unix(int64(day)*daySeconds, 0).UTC()
		y, m, d := civil(day)
		if y != want.Year() || m != int(want.Month()) || d != want.Day() {
			t.Fatalf("civil(%d) = %d-%d-%d, want %s", day, y, m, d, want.Format(time.DateOnly))
		}
		if back := dayOf(y, m, d); back != day {
			t.Fatalf("dayOf(civil(%d)) = %d", day, back)
		}
		if got := string(appendDate(nil, day)); got != want.Format(time.DateOnly) {
			t.Fatalf("appendDate(%d) = %s", day, got)
		}
	}
	for _, ts := range []int64{-1, 0, 59, 86399, 86400, -86401, 1717243199, -2208988800} {
		want := time.Unix(ts, 0).UTC().Format("2006-01-02T15:04:05Z")
		if got := string(appendDateTime(nil, ts)); got != want {
			t.Errorf("appendDateTime(%d) = %s, want %s", ts, got, want)
		}
	}
}

func TestAgeAt(t *testing.T) {
	birth := dayOf(2000, 2, 29)
	tests := []struct {
		y, m, d, want int
	}{
		{2000, 2, 29, 0}, {2001, 2, 28, 0}, {2001, 3, 1, 1}, {2004, 2, 28, 3}, {2004, 2, 29, 4}, {2025, 6, 1, 25},
	}
	for _, tc := range tests {
		if got := ageAt(birth, dayOf(tc.y, tc.m, tc.d)); got != tc.want {
			t.Errorf("age on %d-%02d-%02d = %d, want %d", tc.y, tc.m, tc.d, got, tc.want)
		}
	}
	if got := addYears(birth, 1); got != dayOf(2001, 3, 1) {
		t.Errorf("addYears(29 Feb 2000, 1) = %s", appendDate(nil, got))
	}
}

func TestQuoteMatchesEncodingJSON(t *testing.T) {
	for _, s := range []string{"plain", `a "quoted" word`, `back\slash`, "line\nbreak\ttab\r", "\x00\x01\x1f\x7f", "Ünïcødé °C", "</div>"} {
		var w jw
		w.quote(s)
		var back string
		if err := json.Unmarshal(w.b, &back); err != nil {
			t.Errorf("quote(%q) = %s: %v", s, w.b, err)
			continue
		}
		if back != s {
			t.Errorf("quote(%q) round-trips to %q", s, back)
		}
	}
}

func TestNeedsEscape(t *testing.T) {
	for n := 1; n <= 20; n++ {
		for pos := 0; pos < n; pos++ {
			for _, c := range []byte{0, 0x1f, '"', '\\', 0x7f} {
				b := make([]byte, n)
				for i := range b {
					b[i] = 'a' + byte(i%26)
				}
				b[pos] = c
				if !needsEscape(string(b)) {
					t.Fatalf("needsEscape(%q) = false", b)
				}
			}
			for _, c := range []byte{' ', '!', '#', '[', ']', '~', 0x80, 0xc3, 0xff} {
				b := make([]byte, n)
				for i := range b {
					b[i] = 'A' + byte(i%26)
				}
				b[pos] = c
				if needsEscape(string(b)) {
					t.Fatalf("needsEscape(%q) = true", b)
				}
			}
		}
	}
}

func TestWriterCommas(t *testing.T) {
	var w jw
	w.elem()
	w.str("a", "x")
	w.arr("b")
	w.strElem("1")
	w.strElem("2")
	w.elem()
	w.int("c", 3)
	w.end()
	w.endArr()
	w.obj("d")
	w.dec("e", 1.5, 2)
	w.boolean("f", false)
	w.end()
	w.end()
	const want = `{"a":"x","b":["1","2",{"c":3}],"d":{"e":1.50,"f":false}}`
	if string(w.b) != want {
		t.Errorf("got  %s\nwant %s", w.b, want)
	}
}

func TestCheckDigits(t *testing.T) {
	// The NPI standard's own example is 1234567893.
	if got := npiCheckDigit([9]int{1, 2, 3, 4, 5, 6, 7, 8, 9}); got != 3 {
		t.Errorf("NPI check digit of 123456789 = %d, want 3", got)
	}
	// The device identifier of the US Core implantable device example.
	if got := gtin14("0084458800328"); got != "00844588003288" {
		t.Errorf("gtin14 = %s, want 00844588003288", got)
	}
}

func TestMakeIDDistinct(t *testing.T) {
	seen := map[uid]bool{}
	for _, seed := range []uint64{0, 1} {
		for typ := rtype(0); typ < numTypes; typ++ {
			for scope := uint64(0); scope < 20; scope++ {
				for n := uint32(0); n < 20; n++ {
					id := makeID(seed, typ, scope, n)
					if seen[id] {
						t.Fatalf("duplicate id %s", id)
					}
					seen[id] = true
					if !uuidV7.MatchString(id.String()) {
						t.Fatalf("%s is not a v7 UUID", id)
					}
				}
			}
		}
	}
}

func TestTablesAreConsistent(t *testing.T) {
	n := len(growthAges)
	for name, l := range map[string]int{"heightMedianM": len(heightMedianM), "heightMedianF": len(heightMedianF),
		"bmiMedian": len(bmiMedian), "heartRateByAge": len(heartRateByAge), "respRateByAge": len(respRateByAge),
		"systolicByAge": len(systolicByAge), "diastolicByAge": len(diastolicByAge)} {
		if l != n {
			t.Errorf("%s has %d rows, growthAges %d", name, l, n)
		}
	}
	if len(headMedian) != len(headAges) {
		t.Errorf("headMedian has %d rows, headAges %d", len(headMedian), len(headAges))
	}
	if len(childSchedule) > 64 {
		t.Errorf("childSchedule has %d doses; the given-set is 64 bits", len(childSchedule))
	}
	for k := chronicKind(0); k < numChronic; k++ {
		if chronicDefs[k].snomed.code == "" || chronicDefs[k].icd.code == "" || chronicDefs[k].activity.code == "" {
			t.Errorf("chronic condition %d is incomplete", k)
		}
	}
	for k := acuteKind(0); k < numAcute; k++ {
		if acuteDefs[k].snomed.code == "" || acuteDefs[k].icd.code == "" || acuteDefs[k].symptom == "" {
			t.Errorf("acute condition %d is incomplete", k)
		}
	}
	for m := medKind(0); m < numMeds; m++ {
		if d := medDefs[m]; d.rx.code == "" || d.sig == "" || d.perDay == 0 || d.days == 0 {
			t.Errorf("medication %d is incomplete", m)
		}
	}
	for k := pracKind(0); k < numPracKinds; k++ {
		if pracDefs[k].specialty.code == "" {
			t.Errorf("practitioner kind %d is incomplete", k)
		}
	}
	for _, tab := range [][]string{maleNames[:], femaleNames[:], surnames[:]} {
		seen := map[string]bool{}
		for _, s := range tab {
			if seen[s] {
				t.Errorf("%q listed twice", s)
			}
			seen[s] = true
		}
	}
}
