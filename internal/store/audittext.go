package store

import (
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/emedpractice/emp/internal/ctrlchar"
)

// storableAudit makes every text of an audit row storable and safe to show.
// Paths, ids and error details come from clients: one NUL (a path
// "/fhir/r4/Patient/%00") made PostgreSQL refuse the multi-row INSERT, and
// with it every other access of the same batch, so a client could erase the
// trail of what others did at the same moment. Control characters (ctrlchar)
// are written as Go escapes and invalid UTF-8 as U+FFFD: the row still says
// what was asked, and it prints as text on the admin page and in emp audit.
func storableAudit(ev AuditEvent) AuditEvent {
	for _, p := range []*string{&ev.RequestID, &ev.Actor, &ev.ClientID, &ev.Role, &ev.Patient, &ev.Action,
		&ev.Type, &ev.ResID, &ev.Method, &ev.Path, &ev.Detail} {
		*p = storableText(*p)
	}
	return ev
}

func storableText(s string) string {
	if _, bad := ctrlchar.Find(s); !bad && utf8.ValidString(s) {
		return s
	}
	s = strings.ToValidUTF8(s, "\uFFFD")
	var b strings.Builder
	for _, r := range s {
		switch {
		case !ctrlchar.Forbidden(r):
			b.WriteRune(r)
		case r < 0x80:
			fmt.Fprintf(&b, `\x%02x`, r)
		default:
			fmt.Fprintf(&b, `\u%04x`, r)
		}
	}
	return b.String()
}
