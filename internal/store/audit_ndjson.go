package store

import (
	"encoding/json"
	"fmt"
	"io"
	"time"
)

// auditLine is an audit event as one line of NDJSON: the line format of the
// archive files and of `emp audit --ndjson`, so a month archived and a
// listing read the same way. The time is RFC 3339 in UTC with the
// microseconds the log keeps.
type auditLine struct {
	Seq       int64  `json:"seq"`
	Time      string `json:"time"`
	RequestID string `json:"request_id"`
	Actor     string `json:"actor"`
	ClientID  string `json:"client_id"`
	Role      string `json:"role"`
	Patient   string `json:"patient"`
	Action    string `json:"action"`
	Type      string `json:"type"`
	ResID     string `json:"res_id"`
	Method    string `json:"method"`
	Path      string `json:"path"`
	Status    int    `json:"status"`
	Detail    string `json:"detail"`
}

const auditLineTime = "2006-01-02T15:04:05.000000Z07:00"

// WriteAuditNDJSON writes ev as one line of NDJSON.
func WriteAuditNDJSON(w io.Writer, ev AuditEvent) error {
	b, err := json.Marshal(auditLine{Seq: ev.Seq, Time: ev.At.UTC().Format(auditLineTime), RequestID: ev.RequestID,
		Actor: ev.Actor, ClientID: ev.ClientID, Role: ev.Role, Patient: ev.Patient, Action: ev.Action, Type: ev.Type,
		ResID: ev.ResID, Method: ev.Method, Path: ev.Path, Status: ev.Status, Detail: ev.Detail})
	if err != nil {
		return err
	}
	b = append(b, '\n')
	_, err = w.Write(b)
	return err
}

// ParseAuditNDJSON reads one line written by WriteAuditNDJSON.
func ParseAuditNDJSON(line []byte) (AuditEvent, error) {
	var l auditLine
	if err := json.Unmarshal(line, &l); err != nil {
		return AuditEvent{}, fmt.Errorf("audit line: %w", err)
	}
	at, err := time.Parse(time.RFC3339Nano, l.Time)
	if err != nil || l.Seq <= 0 {
		return AuditEvent{}, fmt.Errorf("audit line: want a seq and an RFC 3339 time, got seq %d time %q", l.Seq, l.Time)
	}
	return AuditEvent{Seq: l.Seq, At: at.UTC(), RequestInfo: RequestInfo{RequestID: l.RequestID, Actor: l.Actor, ClientID: l.ClientID,
		Role: l.Role, Method: l.Method, Path: l.Path}, Patient: l.Patient, Action: l.Action, Type: l.Type, ResID: l.ResID,
		Status: l.Status, Detail: l.Detail}, nil
}
