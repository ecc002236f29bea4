package web

import (
	"errors"
	"net/http"
	"strings"

	"github.com/emedpractice/emp/internal/auth"
	"github.com/emedpractice/emp/internal/authz"
	"github.com/emedpractice/emp/internal/errs"
	"github.com/emedpractice/emp/internal/loginthrottle"
)

type usersView struct {
	Frame
	Staff    []auth.User
	Patients []auth.PatientUser
	Roles    []string
	// Throttled are the accounts and addresses with recent failed
	// sign-ins, the delayed ones marked, for an administrator to clear.
	Throttled []loginthrottle.Entry
	// Form holds what was typed when a form is shown again with an error;
	// FieldErr the message beside the field it is about ("staff.username").
	Form     map[string]string
	FieldErr map[string]string
	// PatientName names the patient a lookup chose, beside its id.
	PatientName string
}

// users is GET /admin/users and POST /admin/users (form=staff or
// form=patient): staff accounts and patient-portal credentials (the spec's
// "API credentials" for a patient).
func (s *Site) users(w http.ResponseWriter, r *http.Request, p *page) {
	v := usersView{Frame: p.Frame, Roles: []string{authz.RoleClinician, authz.RoleFrontOffice, authz.RoleAdmin},
		Form: map[string]string{}, FieldErr: map[string]string{}}
	v.Title, v.Current = "Users", "users"
	status := http.StatusOK
	if id := strings.TrimSpace(r.URL.Query().Get("patient")); id != "" && r.Method != http.MethodPost {
		// Back from the patient lookup: the portal form starts with its id.
		v.Form["form"], v.Form["patient"] = "patient", id
	}
	if r.Method == http.MethodPost {
		for _, k := range []string{"form", "username", "name", "email", "role", "practitioner", "patient"} {
			v.Form[k] = strings.TrimSpace(r.PostFormValue(k))
		}
		var err error
		var what string
		switch v.Form["form"] {
		case "throttle-clear":
			key := loginthrottle.Key(r.PostFormValue("key"))
			if err := s.throttle.Clear(r.Context(), key); err != nil {
				s.internal(w, r, err)
				return
			}
			s.audit(r, p, "throttle-clear", key.Name(), key.Class())
			redirect(w, r, "/admin/users?saved=1")
			return
		case "staff":
			var u auth.User
			u, err = s.auth.AddUser(r.Context(), auth.NewUser{Username: r.PostFormValue("username"),
				Password: r.PostFormValue("password"), Role: v.Form["role"], Practitioner: v.Form["practitioner"],
				Name: v.Form["name"], Email: v.Form["email"]})
			what = "user-add " + u.ID
		case "patient":
			err = s.checkPatient(r, v.Form["patient"])
			if err == nil {
				var u auth.PatientUser
				u, err = s.auth.AddPatientUser(r.Context(), auth.NewPatientUser{Username: r.PostFormValue("username"),
					Password: r.PostFormValue("password"), Patient: v.Form["patient"], Name: v.Form["name"], Email: v.Form["email"]})
				what = "patient-user-add " + u.ID
			}
		default:
			v.Error = "Unknown form."
			s.render(w, r, http.StatusBadRequest, "users", v)
			return
		}
		if err != nil {
			msg, ok := userMessage(err)
			if !ok {
				s.internal(w, r, err)
				return
			}
			v.Error, status = "The user was not added: check the field marked below.", http.StatusBadRequest
			field := "form"
			var e *errs.Error
			if errors.As(err, &e) && e.Field != "" {
				field, msg = e.Field, e.Message
			}
			if strings.Contains(msg, "exists") {
				field, msg = "username", "that username is taken; choose another"
				status = http.StatusConflict
			}
			v.FieldErr[v.Form["form"]+"."+field] = msg
			if field == "form" {
				v.Error = msg
			}
		} else {
			s.audit(r, p, "user-add", "", what)
			redirect(w, r, "/admin/users?saved=1")
			return
		}
	} else {
		v.Notice = noticeOf(r)
	}
	var err error
	if v.Staff, err = s.st.Users(r.Context()); err == nil {
		v.Patients, err = s.st.PatientUsers(r.Context())
	}
	if err == nil {
		v.Throttled, err = s.throttle.List(r.Context(), maxThrottleRows)
	}
	if err != nil {
		s.internal(w, r, err)
		return
	}
	if id := v.Form["patient"]; id != "" {
		if d, err := s.demographics(r, id); err == nil {
			v.PatientName = strings.TrimSpace(d.Name + " · born " + d.BirthDate)
		}
	}
	s.render(w, r, status, "users", v)
}

// maxThrottleRows bounds the users page's list of throttled keys (an
// attack from many addresses could make many).
const maxThrottleRows = 200

// checkPatient makes sure portal credentials name a patient on file.
func (s *Site) checkPatient(r *http.Request, id string) error {
	if id == "" {
		return errs.Field("patient", "choose the patient: use Find a patient, or enter the id of their record")
	}
	if _, err := s.readPatient(r, id); err != nil {
		if isNotFound(err) {
			return errs.Field("patient", "there is no patient with id %q", id)
		}
		return err
	}
	return nil
}
