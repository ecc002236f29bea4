package api

import (
	"crypto/sha1"
	"encoding/base64"
	"errors"
	"io"
	"mime"
	"net/http"
	"path"
	"strconv"
	"strings"
	"time"

	"github.com/emedpractice/emp/internal/errs"
	"github.com/emedpractice/emp/internal/fhir/search"
	"github.com/emedpractice/emp/internal/httpx"
	"github.com/emedpractice/emp/internal/scope"
	"github.com/emedpractice/emp/internal/store"
)

// Document is a file kept in a patient's chart: a FHIR DocumentReference
// whose content holds the file itself. category is the chart folder
// ("path", lower case with "_" for spaces); GET …/document/:did answers the
// file as it was uploaded.
type Document struct {
	ID       int64  `json:"id"`
	UUID     string `json:"uuid" api:"readonly"`
	Pid      int64  `json:"pid"`
	Eid      int64  `json:"eid,omitempty"`
	Filename string `json:"filename"`
	Mimetype string `json:"mimetype"`
	Docdate  string `json:"docdate"`
	Category string `json:"category"`
	Size     int64  `json:"size"`
	Hash     string `json:"hash"`
}

const sysDocFolder = "urn:emp:document-folder" // the chart folder a document is filed in

var documentType = &recordType[Document]{
	cacheable: true,
	name:      "document", fhirType: "DocumentReference", patientParam: "patient",
	query: map[string]queryField{"path": {param: "category", conv: func(v string) string { return sysDocFolder + "|" + v }}},
	toRecord: func(m *mapper, r *store.Resource, o obj) (*Document, error) {
		d := &Document{UUID: r.ID, Docdate: apiDateTime(str(o, "date"))}
		var err error
		if d.ID, err = m.num("document", r.ID); err != nil {
			return nil, err
		}
		if d.Pid, err = m.num("patient", patientOf(o)); err != nil {
			return nil, err
		}
		if e := soapNoteEncounter(o); e != "" {
			if d.Eid, err = m.num("encounter", e); err != nil {
				return nil, err
			}
		}
		for _, cc := range list(o, "category") {
			for _, cd := range list(cc, "coding") {
				if str(cd, "system") == sysDocFolder {
					d.Category = str(cd, "code")
				}
			}
		}
		if c := first(o, "content"); c != nil {
			a := child(c, "attachment")
			d.Filename, d.Mimetype, d.Hash = str(a, "title"), str(a, "contentType"), str(a, "hash")
			d.Size, _ = strconv.ParseInt(number(a, "size"), 10, 64)
		}
		return d, nil
	},
}

// folderPath checks a chart folder path: lower case letters, digits, "_"
// and "/" between parts.
func folderPath(p string) bool {
	if p == "" || strings.HasPrefix(p, "/") || strings.HasSuffix(p, "/") || strings.Contains(p, "//") {
		return false
	}
	for _, c := range p {
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '_' || c == '/') {
			return false
		}
	}
	return true
}

// uploadDocument files the multipart field "document" in the folder the
// query's path names, for the encounter eid when given.
func uploadDocument(c *call) (*reply, error) {
	patient, err := c.patientFromPath("pid")
	if err != nil {
		return nil, err
	}
	q := c.r.URL.Query()
	var bad errs.Multi
	folder := q.Get("path")
	if !folderPath(folder) {
		bad = append(bad, fieldErr("path", "path", "path must name a folder in lower case with _ for spaces, such as medical_record"))
	}
	var encounter string
	if v := q.Get("eid"); v != "" {
		c.r.SetPathValue("eid", v)
		id, err := c.resolveID("eid", "encounter")
		if err == nil {
			_, _, err = encounterType.fetch(c.m, patient, id)
		}
		if err != nil {
			bad = append(bad, fieldErr("eid", "exists", "the patient has no encounter %q", v))
		}
		encounter = id
	}
	name, ctype, data, err := c.readUpload("document")
	if err != nil {
		if errs.KindOf(err) != errs.Invalid {
			return nil, err
		}
		var e *errs.Error
		errors.As(err, &e)
		bad = append(bad, e)
	}
	if len(bad) > 0 {
		return nil, bad
	}
	sum := sha1.Sum(data)
	now := c.h.cfg.Now().UTC().Truncate(time.Second).Format(time.RFC3339)
	o := obj{
		"resourceType": "DocumentReference", "status": "current", "subject": ref("Patient", patient), "date": now,
		"category": []any{obj{"coding": []any{obj{"system": sysDocFolder, "code": folder}}, "text": folder}},
		"content": []any{obj{"attachment": obj{
			"contentType": ctype, "data": base64.StdEncoding.EncodeToString(data), "title": name,
			"size": jsonInt(int64(len(data))), "hash": base64.StdEncoding.EncodeToString(sum[:]), "creation": now,
		}}},
	}
	if encounter != "" {
		o["context"] = obj{"encounter": []any{ref("Encounter", encounter)}}
	}
	if err := validFHIR("DocumentReference", o); err != nil {
		return nil, err
	}
	out, err := c.h.cfg.Store.CreateAll(c.ctx, []store.NewResource{{Type: "DocumentReference", Body: o, Numbered: "document"}}, search.Compartment{})
	if err != nil {
		return nil, err
	}
	c.resID = out[0].ID
	return &reply{status: http.StatusCreated, data: Created{ID: out[0].Num, UUID: out[0].ID}}, nil
}

// readUpload reads one file field of a multipart/form-data body within the
// body limit: its file name, media type and bytes.
func (c *call) readUpload(field string) (name, ctype string, data []byte, err error) {
	mt, _, _ := mime.ParseMediaType(c.r.Header.Get("Content-Type"))
	if mt != "multipart/form-data" {
		return "", "", nil, fieldErr(field, "required", "upload the file as multipart/form-data field %q", field)
	}
	c.r.Body = http.MaxBytesReader(c.w, c.r.Body, c.h.cfg.MaxBody)
	mr, err := c.r.MultipartReader()
	if err != nil {
		return "", "", nil, fieldErr(field, "required", "the multipart body cannot be read")
	}
	for {
		part, err := mr.NextPart()
		if err == io.EOF {
			break
		}
		if err != nil {
			if httpx.IsTooLarge(err) {
				return "", "", nil, errs.E(errs.TooLarge, "the body is larger than %d bytes", c.h.cfg.MaxBody)
			}
			return "", "", nil, fieldErr(field, "required", "the multipart body cannot be read")
		}
		if part.FormName() != field {
			continue
		}
		b, err := io.ReadAll(part)
		if err != nil {
			if httpx.IsTooLarge(err) {
				return "", "", nil, errs.E(errs.TooLarge, "the body is larger than %d bytes", c.h.cfg.MaxBody)
			}
			return "", "", nil, fieldErr(field, "required", "the file cannot be read")
		}
		if len(b) == 0 {
			return "", "", nil, fieldErr(field, "required", "the file is empty")
		}
		name = path.Base(part.FileName())
		if name == "." || name == "/" {
			name = "document"
		}
		ctype = part.Header.Get("Content-Type")
		if ctype == "" || ctype == "application/octet-stream" {
			ctype = http.DetectContentType(b)
		}
		return name, ctype, b, nil
	}
	return "", "", nil, fieldErr(field, "required", "the multipart field %q with the file is missing", field)
}

// downloadDocument answers the file of a document as it was uploaded.
func downloadDocument(c *call) (*reply, error) {
	patient, err := c.patientFromPath("pid")
	if err != nil {
		return nil, err
	}
	id, err := c.resolveID("did", "document")
	if err != nil {
		return nil, err
	}
	_, o, err := documentType.readResource(c, patient, id)
	if err != nil {
		return nil, err
	}
	for _, ct := range list(o, "content") {
		a := child(ct, "attachment")
		if str(a, "data") == "" {
			continue
		}
		b, err := base64.StdEncoding.DecodeString(str(a, "data"))
		if err != nil {
			return nil, err
		}
		name := str(a, "title")
		if name == "" {
			name = "document"
		}
		ctype := str(a, "contentType")
		if ctype == "" {
			ctype = "application/octet-stream"
		}
		return &reply{file: b, contentType: ctype, filename: name}, nil
	}
	return nil, errs.E(errs.NotFound, "document %q holds no file content", id)
}

func documentRoutes() []Route {
	base := "/patient/{pid}/document"
	rs := crud(documentType, base, "pid", "did", ops{list: true}, "a patient's documents")
	return append(rs,
		Route{Method: http.MethodPost, Path: base, Resource: "document", Interaction: scope.Create, Query: []string{"path", "eid"},
			Summary: "upload a document (multipart field document) into the folder path", Multipart: true,
			Response: typeOf[Created](), Status: 201, handle: uploadDocument},
		Route{Method: http.MethodGet, Path: base + "/{did}", Resource: "document", Interaction: scope.Read,
			Summary: "download a document as the original file", Binary: true, Response: typeOf[[]byte](), Status: 200, handle: downloadDocument},
	)
}
