package web

import (
	"encoding/json"
	"errors"
	"net/http"
	"net/mail"
	"slices"
	"strings"

	"github.com/emedpractice/emp/internal/auth"
	"github.com/emedpractice/emp/internal/errs"
	"github.com/emedpractice/emp/internal/scope"
)

// scopeGroup is one block of the registration form's scope choices, with
// what it means for the app.
type scopeGroup struct {
	Name, Help string
	Scopes     []scopeChoice
}

type scopeChoice struct{ Value, Label string }

// registrationScopes are the scopes the form offers; anything else can be
// typed into "other scopes".
var registrationScopes = []scopeGroup{
	{"Sign-in and launch", "Who the user is, and the context an EHR or standalone launch opens with.", []scopeChoice{
		{"openid", "openid: sign the user in (OpenID Connect)"},
		{"fhirUser", "fhirUser: the user's own FHIR resource"},
		{"launch", "launch: EHR launch from the portal or the practice's software (needs approval)"},
		{"launch/patient", "launch/patient: pick a patient at standalone launch"},
		{"offline_access", "offline_access: keep access without the user (refresh tokens)"},
		{"online_access", "online_access: refresh tokens while the user is signed in"},
	}},
	{"Patient", "Read one patient's record: the patient using the app, or the patient in context.", []scopeChoice{
		{"patient/*.rs", "patient/*.rs: everything in the patient's record"},
		{"patient/Patient.rs", "patient/Patient.rs: demographics"},
		{"patient/Observation.rs", "patient/Observation.rs: results and vital signs"},
		{"patient/Condition.rs", "patient/Condition.rs: problems"},
		{"patient/MedicationRequest.rs", "patient/MedicationRequest.rs: medications"},
		{"patient/AllergyIntolerance.rs", "patient/AllergyIntolerance.rs: allergies"},
		{"patient/Encounter.rs", "patient/Encounter.rs: visits"},
		{"patient/Appointment.rs", "patient/Appointment.rs: appointments"},
	}},
	{"User", "What a clinician or staff user may see and do (confidential apps only; needs approval).", []scopeChoice{
		{"user/*.rs", "user/*.rs: read every record the user can"},
		{"user/*.cruds", "user/*.cruds: read and write every record the user can"},
		{"user/Patient.rs", "user/Patient.rs: patient demographics"},
	}},
	{"System", "A backend service with no user (private_key_jwt apps only; needs approval).", []scopeChoice{
		{"system/*.rs", "system/*.rs: read everything (bulk export)"},
		{"system/Patient.rs", "system/Patient.rs: patient demographics"},
	}},
	{"API", "Which of the practice's APIs the app calls.", []scopeChoice{
		{"api:fhir", "api:fhir: the FHIR R4 API"},
		{"api:oemr", "api:oemr: the practice's own JSON API"},
		{"api:port", "api:port: the patient portal API"},
	}},
}

type registerView struct {
	Frame
	Groups []scopeGroup
	Form   registerForm
	// FieldErr is a refused field's message, shown beside the field.
	FieldErr map[string]string
	// Done is set after a successful registration, with what an app
	// developer needs next: the FHIR base, the discovery document, how
	// the app authenticates at the token endpoint, and any scope asked for
	// but not registered.
	Done                *auth.Registered
	FHIRBase, Discovery string
	AuthMethod          string
	NotGranted          []string
}

// registerForm is what the developer typed, kept to show again on an error.
type registerForm struct {
	Name, Type                        string
	RedirectURIs, PostLogoutURIs      string
	LaunchURI, JWKSURI, JWKS, Contact string
	Scopes                            []string
	OtherScopes                       string
}

func (f registerForm) Has(scope string) bool { return slices.Contains(f.Scopes, scope) }

// register is GET and POST /admin/fhirclientregistration.aspx (and
// /register): the spec's client registration form. It registers through the
// authorization server with the same rules as dynamic registration, so an
// app waits for an administrator exactly when a self-registered one would.
func (s *Site) register(w http.ResponseWriter, r *http.Request, p *page) {
	v := registerView{Frame: p.Frame, Groups: registrationScopes, Form: registerForm{Type: "public"}, FieldErr: map[string]string{}}
	v.Title, v.Wide = "Register an app", true
	if r.Method != http.MethodPost { // GET or HEAD: show the form
		v.Form.Scopes = []string{"openid", "fhirUser", "launch/patient", "patient/*.rs"}
		s.render(w, r, http.StatusOK, "register", v)
		return
	}
	f := registerForm{
		Name: strings.TrimSpace(r.PostFormValue("client_name")), Type: r.PostFormValue("type"),
		RedirectURIs: r.PostFormValue("redirect_uris"), PostLogoutURIs: r.PostFormValue("post_logout_redirect_uris"),
		LaunchURI: strings.TrimSpace(r.PostFormValue("launch_uri")), JWKSURI: strings.TrimSpace(r.PostFormValue("jwks_uri")),
		JWKS: strings.TrimSpace(r.PostFormValue("jwks")), Contact: strings.TrimSpace(r.PostFormValue("contact")),
		Scopes: r.PostForm["scope"], OtherScopes: r.PostFormValue("other_scopes"),
	}
	v.Form = f
	md, err := f.metadata()
	if err == nil {
		var reg auth.Registered
		reg, err = s.auth.Register(r.Context(), md, false)
		if err == nil {
			s.logger.InfoContext(r.Context(), "web: client registered", "client_id", reg.ClientID, "status", reg.Status)
			v.Done = &reg
			v.Title = "App registered"
			v.FHIRBase, v.Discovery = s.fhirBase, s.fhirBase+"/.well-known/smart-configuration"
			v.AuthMethod = authMethodWords(reg.TokenEndpointAuthMethod)
			granted := strings.Fields(reg.Scope)
			for _, sc := range strings.Fields(md.Scope) {
				if !slices.Contains(granted, sc) {
					v.NotGranted = append(v.NotGranted, sc)
				}
			}
			s.render(w, r, http.StatusCreated, "registered", v)
			return
		}
	}
	msg, ok := userMessage(err)
	if !ok {
		s.internal(w, r, err)
		return
	}
	v.Error = "The app was not registered: correct the field marked below."
	v.FieldErr[registerField(err, msg)] = msg
	s.render(w, r, http.StatusBadRequest, "register", v)
}

// registerField names the form field an error is about: the form's own
// checks name it; the authorization server's messages start with the
// metadata name, which is mapped to the field that holds it.
func registerField(err error, msg string) string {
	var e *errs.Error
	if errors.As(err, &e) && e.Field != "" {
		return e.Field
	}
	for _, m := range []struct{ prefix, field string }{
		{"redirect_uri", "redirect_uris"}, {"post_logout_redirect_uri", "post_logout_redirect_uris"},
		{"initiate_login_uri", "launch_uri"}, {"jwks", "jwks"}, {"private_key_jwt", "jwks"}, {"send jwks", "jwks"},
		{"system/ scopes", "jwks"}, {"client_credentials", "jwks"}, {"a public client", "type"}, {"scope", "scope"},
		{"client_name", "client_name"}, {"logo_uri", "client_name"},
	} {
		if strings.HasPrefix(msg, m.prefix) {
			return m.field
		}
	}
	return "form"
}

// authMethodWords says how a registered app authenticates at the token
// endpoint, with the metadata value a library asks for.
func authMethodWords(m string) string {
	switch m {
	case auth.AuthNone:
		return "none (a public app: PKCE, no secret) · none"
	case auth.AuthClientSecretBasic:
		return "the client secret, in HTTP Basic authentication · client_secret_basic"
	case auth.AuthClientSecretPost:
		return "the client secret, in the form body · client_secret_post"
	case auth.AuthPrivateKeyJWT:
		return "a JWT signed with the app's own key · private_key_jwt"
	}
	return m
}

// metadata turns the form into RFC 7591 client metadata. It checks what
// only the form has (the type, the email, one URI per line); the
// authorization server checks the rest.
func (f registerForm) metadata() (auth.ClientMetadata, error) {
	md := auth.ClientMetadata{ClientName: f.Name, RedirectURIs: lines(f.RedirectURIs),
		PostLogoutRedirectURIs: lines(f.PostLogoutURIs), InitiateLoginURI: f.LaunchURI, JWKSURI: f.JWKSURI}
	if md.ClientName == "" {
		return md, errs.Field("client_name", "enter the app's name")
	}
	hasKeys := f.JWKS != "" || f.JWKSURI != ""
	switch f.Type {
	case "public":
		if hasKeys {
			return md, errs.Field("type", "a public app has no keys; choose confidential to register a JWKS")
		}
		md.TokenEndpointAuthMethod = auth.AuthNone
	case "confidential":
		md.TokenEndpointAuthMethod = auth.AuthClientSecretBasic
		if hasKeys {
			md.TokenEndpointAuthMethod = auth.AuthPrivateKeyJWT
		}
	default:
		return md, errs.Field("type", "choose public or confidential")
	}
	if f.JWKS != "" {
		if !json.Valid([]byte(f.JWKS)) {
			return md, errs.Field("jwks", "the JWKS is not valid JSON")
		}
		md.JWKS = json.RawMessage(f.JWKS)
	}
	if f.Contact != "" {
		a, err := mail.ParseAddress(f.Contact)
		if err != nil || a.Address != f.Contact {
			return md, errs.Field("contact", "enter one email address, such as dev@example.org")
		}
		md.Contacts = []string{f.Contact}
	}
	scopes := append(slices.Clone(f.Scopes), strings.Fields(f.OtherScopes)...)
	if len(scopes) == 0 {
		return md, errs.Field("scope", "choose at least one scope")
	}
	// A scope the server does not know would be dropped by the
	// authorization server; the developer is told instead.
	if _, bad := scope.ParseListLenient(strings.Join(scopes, " ")); len(bad) > 0 {
		var names []string
		for _, sc := range strings.Fields(strings.Join(scopes, " ")) {
			if _, err := scope.Parse(sc); err != nil {
				names = append(names, sc)
			}
		}
		return md, errs.Field("other_scopes", "not a scope this server knows: %s (check the spelling; resource types are case-sensitive, such as patient/Observation.rs)", strings.Join(names, ", "))
	}
	system := slices.ContainsFunc(scopes, func(sc string) bool { return strings.HasPrefix(sc, "system/") })
	switch {
	case system && !hasKeys:
		return md, errs.Field("jwks", "an app with system scopes is a backend service: it signs in with its own key (private_key_jwt), so choose confidential and enter a JWKS URI or paste its JWKS; it needs no redirect URI")
	case !system && len(md.RedirectURIs) == 0:
		return md, errs.Field("redirect_uris", "enter the address the browser returns to after sign-in, one per line")
	}
	md.Scope = strings.Join(scopes, " ")
	if system && len(md.RedirectURIs) == 0 {
		md.GrantTypes = []string{auth.GrantClientCredentials}
	}
	if len(md.RedirectURIs) > 0 {
		md.GrantTypes = []string{auth.GrantAuthorizationCode}
		if slices.Contains(scopes, "offline_access") || slices.Contains(scopes, "online_access") {
			md.GrantTypes = append(md.GrantTypes, auth.GrantRefreshToken)
		}
	}
	return md, nil
}

// lines splits a textarea into its non-empty lines.
func lines(s string) []string {
	var out []string
	for _, l := range strings.Split(s, "\n") {
		if l = strings.TrimSpace(l); l != "" {
			out = append(out, l)
		}
	}
	return out
}
