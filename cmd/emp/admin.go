package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/url"
	"os"
	"slices"
	"strings"
	"text/tabwriter"

	"github.com/emedpractice/emp/internal/auth"
	"github.com/emedpractice/emp/internal/fhir/search"
	"github.com/emedpractice/emp/internal/server"
	"github.com/emedpractice/emp/internal/store"
)

// The operator's commands: users, clients, site settings and EHR launches.
// Each opens the database with the same --db as serve and applies the same
// rules as the pages and endpoints, through the authorization server.

// stringList is a repeatable string flag.
type stringList []string

func (l *stringList) String() string     { return strings.Join(*l, ",") }
func (l *stringList) Set(v string) error { *l = append(*l, v); return nil }

// openApp opens the server's store and authorization server for one command.
func openApp(ctx context.Context, sf serverFlags) (*server.App, error) {
	return server.Open(ctx, sf.config())
}

func runUser(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		return errors.New("usage: emp user add|add-patient|password …")
	}
	switch args[0] {
	case "add":
		fs := newFlagSet("user add", getenv, stderr)
		sf := addServerFlags(fs)
		username := fs.String("username", "", "login name")
		password := fs.String("password", "", "password (at least 8 characters)")
		role := fs.String("role", "clinician", "admin, clinician or front-office")
		practitioner := fs.String("practitioner", "", "the user's Practitioner id (their fhirUser)")
		name := fs.String("name", "", "display name")
		email := fs.String("email", "", "e-mail address")
		if err := fs.parse(args[1:]); err != nil {
			return err
		}
		app, err := openApp(ctx, sf)
		if err != nil {
			return err
		}
		defer app.Close()
		u, err := app.Auth.AddUser(ctx, auth.NewUser{Username: *username, Password: *password, Role: *role,
			Practitioner: *practitioner, Name: *name, Email: *email})
		if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "user %s (%s) added with id %s\n", u.Username, u.Role, u.ID)
		return nil
	case "add-patient":
		fs := newFlagSet("user add-patient", getenv, stderr)
		sf := addServerFlags(fs)
		patient := fs.String("patient", "", "the Patient id this portal user sees")
		username := fs.String("username", "", "login name")
		password := fs.String("password", "", "password (at least 8 characters)")
		email := fs.String("email", "", "e-mail address")
		name := fs.String("name", "", "display name")
		if err := fs.parse(args[1:]); err != nil {
			return err
		}
		app, err := openApp(ctx, sf)
		if err != nil {
			return err
		}
		defer app.Close()
		if _, err := app.Store.Read(ctx, "Patient", *patient, noCompartment); err != nil {
			return fmt.Errorf("--patient: %w", err)
		}
		u, err := app.Auth.AddPatientUser(ctx, auth.NewPatientUser{Username: *username, Password: *password,
			Patient: *patient, Name: *name, Email: *email})
		if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "patient user %s for Patient/%s added with id %s\n", u.Username, u.Patient, u.ID)
		return nil
	case "password":
		return userPassword(ctx, args[1:], getenv, stdout, stderr)
	}
	return fmt.Errorf("unknown user command %q (add, add-patient, password)", args[0])
}

// userPassword sets a user's password. Every session of the user ends with
// it (the pages, the authorization server's sign-in, the portal hand-off),
// so whoever knew the old one is signed out everywhere.
func userPassword(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	fs := newFlagSet("user password", getenv, stderr)
	sf := addServerFlags(fs)
	username := fs.String("username", "", "login name")
	password := fs.String("password", "", "the new password (at least 8 characters)")
	patientUser := fs.Bool("patient-user", false, "the user is a patient-portal user")
	if err := fs.parse(args); err != nil {
		return err
	}
	app, err := openApp(ctx, sf)
	if err != nil {
		return err
	}
	defer app.Close()
	account, id := auth.AccountStaff, ""
	if *patientUser {
		u, err := app.Store.PatientUserByUsername(ctx, *username)
		if err != nil {
			return fmt.Errorf("--username: %w", err)
		}
		account, id = auth.AccountPatient, u.ID
	} else {
		u, err := app.Store.UserByUsername(ctx, *username)
		if err != nil {
			return fmt.Errorf("--username: %w", err)
		}
		id = u.ID
	}
	if err := app.Auth.SetPassword(ctx, account, id, *password); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "password of %s changed; its sessions have ended\n", *username)
	return nil
}

func runClient(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		return errors.New("usage: emp client add|list|approve|disable …")
	}
	switch args[0] {
	case "add":
		return clientAdd(ctx, args[1:], getenv, stdout, stderr)
	case "list":
		fs := newFlagSet("client list", getenv, stderr)
		sf := addServerFlags(fs)
		if err := fs.parse(args[1:]); err != nil {
			return err
		}
		app, err := openApp(ctx, sf)
		if err != nil {
			return err
		}
		defer app.Close()
		clients, err := app.Store.Clients(ctx)
		if err != nil {
			return err
		}
		tw := tabwriter.NewWriter(stdout, 2, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "CLIENT ID\tNAME\tSTATUS\tAUTH\tSCOPE")
		for _, c := range clients {
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", c.ID, c.Name, c.Status, c.AuthMethod, c.Scope)
		}
		return tw.Flush()
	case "approve", "disable":
		fs := newFlagSet("client "+args[0], getenv, stderr)
		sf := addServerFlags(fs)
		usage := fmt.Errorf("usage: emp client %s CLIENT_ID", args[0])
		// An id may itself start with "-" (ids are base64url): right
		// after the command, anything but one of its flags is the id.
		var id string
		rest := args[1:]
		if len(rest) > 0 && !fs.isFlag(rest[0]) {
			id, rest = rest[0], rest[1:]
		}
		more, err := fs.parseArgs(rest)
		if err != nil {
			return err
		}
		if id == "" && len(more) > 0 {
			id, more = more[0], more[1:]
		}
		if id == "" || len(more) > 0 {
			return usage
		}
		app, err := openApp(ctx, sf)
		if err != nil {
			return err
		}
		defer app.Close()
		status := auth.ClientApproved
		if args[0] == "disable" {
			status = auth.ClientDisabled
		}
		// The change is audited with the operator's login name.
		who := store.WithRequest(ctx, store.RequestInfo{Actor: "operator:" + getenv("USER"), Role: "admin", Method: "CLI",
			Path: "emp client " + args[0]})
		if err := app.Store.SetClientStatus(who, id, status); err != nil {
			return err
		}
		fmt.Fprintf(stdout, "client %s %s\n", id, status)
		return nil
	}
	return fmt.Errorf("unknown client command %q (add, list, approve, disable)", args[0])
}

// clientAdd registers a client as the operator: approved at once, with the
// same checks as dynamic registration. It prints the registration as JSON,
// with the secret, which is shown this once only.
func clientAdd(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	fs := newFlagSet("client add", getenv, stderr)
	sf := addServerFlags(fs)
	name := fs.String("name", "", "the app's name")
	typ := fs.String("type", "public", "public or confidential")
	scope := fs.String("scope", "", "space-separated scopes the client may be granted")
	jwksURI := fs.String("jwks-uri", "", "URL of the client's JSON Web Key Set (private_key_jwt)")
	jwksFile := fs.String("jwks-file", "", "file holding the client's JSON Web Key Set (private_key_jwt)")
	launchURI := fs.String("launch-uri", "", "the app's SMART launch URL (EHR launch)")
	var redirects, postLogout stringList
	fs.Var(&redirects, "redirect-uri", "redirect URI (repeatable)")
	fs.Var(&postLogout, "post-logout-redirect-uri", "post-logout redirect URI (repeatable)")
	if err := fs.parse(args); err != nil {
		return err
	}
	md := auth.ClientMetadata{ClientName: *name, RedirectURIs: redirects, PostLogoutRedirectURIs: postLogout,
		Scope: *scope, JWKSURI: *jwksURI, InitiateLoginURI: *launchURI}
	switch {
	case *jwksFile != "" && *jwksURI != "":
		return errors.New("--jwks-uri and --jwks-file exclude each other")
	case *jwksFile != "":
		b, err := os.ReadFile(*jwksFile)
		if err != nil {
			return fmt.Errorf("--jwks-file: %w", err)
		}
		if !json.Valid(b) {
			return errors.New("--jwks-file does not hold JSON")
		}
		md.JWKS = b
	}
	switch {
	case *jwksFile != "" || *jwksURI != "":
		md.TokenEndpointAuthMethod = auth.AuthPrivateKeyJWT
		if len(redirects) == 0 {
			md.GrantTypes = []string{auth.GrantClientCredentials}
		}
	case *typ == "confidential":
		md.TokenEndpointAuthMethod = auth.AuthClientSecretBasic
	case *typ == "public":
		md.TokenEndpointAuthMethod = auth.AuthNone
	default:
		return fmt.Errorf("--type must be public or confidential, got %q", *typ)
	}
	app, err := openApp(ctx, sf)
	if err != nil {
		return err
	}
	defer app.Close()
	reg, err := app.Auth.Register(ctx, md, true)
	if err != nil {
		return err
	}
	enc := json.NewEncoder(stdout)
	enc.SetIndent("", "  ")
	return enc.Encode(reg)
}

func runSettings(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		return errors.New("usage: emp settings list | get KEY | set KEY=VALUE …")
	}
	fs := newFlagSet("settings "+args[0], getenv, stderr)
	sf := addServerFlags(fs)
	rest, err := fs.parseArgs(args[1:])
	if err != nil {
		return err
	}
	app, err := openApp(ctx, sf)
	if err != nil {
		return err
	}
	defer app.Close()
	switch args[0] {
	case "list":
		tw := tabwriter.NewWriter(stdout, 2, 4, 2, ' ', 0)
		for _, st := range auth.SiteSettings() {
			v, err := app.Store.Setting(ctx, st.Key)
			if err != nil {
				v = "(unset)"
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\n", st.Key, v, st.Values)
		}
		return tw.Flush()
	case "get":
		if len(rest) != 1 {
			return errors.New("usage: emp settings get KEY")
		}
		// Only the site settings: the same table holds internal values
		// (the session signing key) that are not for printing.
		if !slices.ContainsFunc(auth.SiteSettings(), func(st auth.SiteSetting) bool { return st.Key == rest[0] }) {
			return fmt.Errorf("unknown setting %q (see emp settings list)", rest[0])
		}
		v, err := app.Store.Setting(ctx, rest[0])
		if err != nil {
			return err
		}
		fmt.Fprintln(stdout, v)
		return nil
	case "set":
		if len(rest) == 0 {
			return errors.New("usage: emp settings set KEY=VALUE …")
		}
		for _, kv := range rest {
			k, v, ok := strings.Cut(kv, "=")
			if !ok {
				return fmt.Errorf("%q is not KEY=VALUE", kv)
			}
			if err := auth.CheckSetting(k, v); err != nil {
				return err
			}
			if err := app.Store.SetSetting(ctx, k, v); err != nil {
				return err
			}
			fmt.Fprintf(stdout, "%s=%s\n", k, v)
		}
		return nil
	}
	return fmt.Errorf("unknown settings command %q (list, get, set)", args[0])
}

// runLaunch prepares an EHR launch and prints the URL that opens the app
// with it.
func runLaunch(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	fs := newFlagSet("launch", getenv, stderr)
	sf := addServerFlags(fs)
	client := fs.String("client", "", "the client id of the app to launch")
	patient := fs.String("patient", "", "the Patient id in context")
	encounter := fs.String("encounter", "", "the Encounter id in context")
	if err := fs.parse(args); err != nil {
		return err
	}
	app, err := openApp(ctx, sf)
	if err != nil {
		return err
	}
	defer app.Close()
	launch, launchURL, err := app.Auth.NewLaunch(ctx, auth.LaunchRequest{ClientID: *client, Patient: *patient, Encounter: *encounter})
	if err != nil {
		return err
	}
	if launchURL == "" {
		launchURL = "(the client registered no launch URI) launch=" + url.QueryEscape(launch)
	}
	fmt.Fprintln(stdout, launchURL)
	return nil
}

var noCompartment = search.Compartment{}
