package api_test

import (
	"bytes"
	"fmt"
	"github.com/emedpractice/emp/internal/api"
	"mime/multipart"
	"testing"
)

// upload posts a multipart body with the file in field.
func (e *testEnv) upload(path, token, field, name string, content []byte) answer {
	e.t.Helper()
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	if field != "" {
		w, _ := mw.CreateFormFile(field, name)
		w.Write(content)
	}
	mw.Close()
	return e.envelope("POST", path, e.Do("POST", path, token, buf.String(), "Content-Type", mw.FormDataContentType()))
}

func TestDocuments(t *testing.T) {
	eachDB(t, func(t *testing.T, e *testEnv) {
		f := newFixture(t, e)
		base := fmt.Sprintf("/api/patient/%d/document", f.pid)
		file := []byte("%PDF-1.4 a small test file\n")
		e.upload(base+"?path=lab_report", "", "document", "r.pdf", file)
		if a := e.upload(base+"?path=lab_report", "", "document", "r.pdf", file); a.Status != 401 {
			t.Errorf("no token: %d", a.Status)
		}
		if a := e.upload(base+"?path=lab_report", e.token("api:oemr user/document.read"), "document", "r.pdf", file); a.Status != 403 {
			t.Errorf("read-only token: %d", a.Status)
		}
		before := e.Count(e.t, "DocumentReference")
		a := e.upload(base+"?path=Bad%20Path&eid=999", e.staff, "", "", nil)
		if a.Status != 400 || a.ValidationErrors["path"] == nil || a.ValidationErrors["document"] == nil || a.ValidationErrors["eid"] == nil {
			t.Errorf("bad upload: %d %s", a.Status, a.Raw)
		}
		if n := e.Count(e.t, "DocumentReference"); n != before {
			t.Errorf("bad upload wrote %d", n-before)
		}
		a = e.upload(base+"?path=lab_report&eid="+fmt.Sprint(f.eid), e.staff, "document", "result.pdf", file)
		if a.Status != 201 {
			t.Fatalf("upload: %d %s", a.Status, a.Raw)
		}
		var c api.Created
		a.into(t, &c)
		var docs []api.Document
		e.must(200, "GET", base+"?path=lab_report", e.staff, nil).into(t, &docs)
		if len(docs) != 1 || docs[0].Filename != "result.pdf" || docs[0].Size != int64(len(file)) || docs[0].Category != "lab_report" || docs[0].Eid != f.eid {
			t.Errorf("documents = %+v", docs)
		}
		e.must(200, "GET", base+"?path=other", e.staff, nil)
		for _, id := range []string{c.UUID, fmt.Sprint(c.ID)} {
			r := e.Do("GET", base+"/"+id, e.staff, "")
			if r.Status != 200 || !bytes.Equal(r.Body, file) || r.Header.Get("Content-Type") != "application/pdf" ||
				r.Header.Get("Content-Disposition") != `attachment; filename=result.pdf` {
				t.Errorf("download %s: %d %q %v", id, r.Status, r.Body, r.Header)
			}
		}
		// FHIR sees the document with its content.
		o := e.Read(e.t, "DocumentReference", c.UUID)
		if api.RefID(o, "subject", "Patient") != f.pa {
			t.Errorf("FHIR document subject: %v", o["subject"])
		}
		e.must(404, "GET", fmt.Sprintf("/api/patient/%d/document/%s", f.pidB, c.UUID), e.staff, nil)
		e.must(404, "GET", base+"/987654", e.staff, nil)
	})
}
