package api

import (
	"github.com/emedpractice/emp/internal/store"
)

// Message is a note about a patient from one user to another (the
// original's patient notes): a FHIR Communication about the patient. title
// is a note_type, message_status a message_status; from and to are user
// names, kept as the sender's and recipient's display.
type Message struct {
	ID            int64  `json:"id"`
	Mid           int64  `json:"mid"`
	UUID          string `json:"uuid" api:"readonly"`
	Pid           int64  `json:"pid"`
	Body          string `json:"body"`
	Groupname     string `json:"groupname"`
	From          string `json:"from"`
	To            string `json:"to"`
	Title         string `json:"title"`
	MessageStatus string `json:"message_status"`
	Date          string `json:"date" api:"readonly"`
}

// MessageCreated is the data of a 201.
type MessageCreated struct {
	Mid  int64  `json:"mid"`
	UUID string `json:"uuid"`
}

const (
	sysNoteType  = "urn:emp:note-type" // the note_type list
	extGroupname = "urn:emp:groupname"
	extMsgStatus = "urn:emp:message-status"
)

func listCodes(name string) []string {
	var out []string
	for _, o := range optionLists()[name] {
		out = append(out, o[0])
	}
	return out
}

var messageType = &recordType[Message]{
	cacheable: true,
	name:      "message", fhirType: "Communication", patientParam: "patient",
	checks: []check{
		{field: "body", label: "Body", required: true, min: 2, max: 65535, text: true},
		{field: "groupname", label: "Group", required: true, min: 2, max: 255, text: true},
		{field: "from", label: "From", required: true, min: 2, max: 255, text: true},
		{field: "to", label: "To", required: true, min: 2, max: 255, text: true},
		{field: "title", label: "Title", required: true, min: 2, max: 255, oneOf: listCodes("note_type")},
		{field: "message_status", label: "Status", required: true, min: 2, max: 20, oneOf: listCodes("message_status")},
	},
	match:       func(o obj) bool { return hasSystem(o, "category", sysNoteType) },
	created:     func(n int64, id string) any { return MessageCreated{Mid: n, UUID: id} },
	createdType: typeOf[MessageCreated](),
	toRecord: func(m *mapper, r *store.Resource, o obj) (*Message, error) {
		msg := &Message{UUID: r.ID, Date: apiDateTime(str(o, "sent"))}
		var err error
		if msg.ID, err = m.num("message", r.ID); err != nil {
			return nil, err
		}
		msg.Mid = msg.ID
		if msg.Pid, err = m.num("patient", patientOf(o)); err != nil {
			return nil, err
		}
		if p := first(o, "payload"); p != nil {
			msg.Body = str(p, "contentString")
		}
		msg.Groupname = extensionValue(o, extGroupname)
		msg.From = str(child(o, "sender"), "display")
		if rc := first(o, "recipient"); rc != nil {
			msg.To = str(rc, "display")
		}
		for _, cc := range list(o, "category") {
			for _, cd := range list(cc, "coding") {
				if str(cd, "system") == sysNoteType {
					msg.Title = str(cd, "code")
				}
			}
		}
		msg.MessageStatus = extensionValue(o, extMsgStatus)
		return msg, nil
	},
	toFHIR: func(m *mapper, msg *Message, f fields, o obj, patient string) error {
		setRef(o, "subject", "Patient", patient)
		o["status"] = "in-progress"
		if msg.MessageStatus == "Done" {
			o["status"] = "completed"
		}
		setExtensionValue(o, extMsgStatus, msg.MessageStatus)
		setExtensionValue(o, extGroupname, msg.Groupname)
		o["payload"] = []any{obj{"contentString": msg.Body}}
		o["sender"] = obj{"display": msg.From}
		o["recipient"] = []any{obj{"display": msg.To}}
		o["category"] = []any{obj{"coding": []any{obj{"system": sysNoteType, "code": msg.Title}}, "text": msg.Title}}
		if o["sent"] == nil {
			o["sent"] = m.now().UTC().Format("2006-01-02T15:04:05Z")
		}
		return nil
	},
}

// hasSystem reports whether a CodeableConcept list holds a coding of the
// system.
func hasSystem(o obj, key, system string) bool {
	for _, cc := range list(o, key) {
		for _, cd := range list(cc, "coding") {
			if str(cd, "system") == system {
				return true
			}
		}
	}
	return false
}

func messageRoutes() []Route {
	return crud(messageType, "/patient/{pid}/message", "pid", "mid", allOps, "a patient's messages")
}
