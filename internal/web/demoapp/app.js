// The emp demo SMART app: SMART App Launch 2 with the browser's own APIs.
// It talks only to the server that serves it, and keeps its state in
// sessionStorage (gone when the tab closes).
"use strict";

const KEY = "emp-demo";
const $ = (id) => document.getElementById(id);

function status(text, isError) {
  const el = $("status");
  el.textContent = text;
  el.className = isError ? "error" : "";
}

function b64url(bytes) {
  let s = "";
  for (const b of new Uint8Array(bytes)) s += String.fromCharCode(b);
  return btoa(s).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

function randomString() {
  return b64url(crypto.getRandomValues(new Uint8Array(32)));
}

async function challengeOf(verifier) {
  return b64url(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(verifier)));
}

function load() {
  try { return JSON.parse(sessionStorage.getItem(KEY)) || {}; } catch { return {}; }
}

function save(state) { sessionStorage.setItem(KEY, JSON.stringify(state)); }

// begin discovers the server's endpoints and sends the browser to authorize.
async function begin(cfg, iss, launch) {
  if (iss.replace(/\/$/, "") !== cfg.fhir_base) {
    throw new Error("This demo app only connects to the server that serves it.");
  }
  status("Connecting to " + iss + "…");
  const res = await fetch(iss + "/.well-known/smart-configuration", { headers: { Accept: "application/json" } });
  if (!res.ok) throw new Error("The server's SMART configuration could not be read (" + res.status + ").");
  const smart = await res.json();
  const verifier = randomString();
  const state = randomString();
  save({ verifier, state, iss, token_endpoint: smart.token_endpoint });
  const scope = cfg.scope.split(" ").filter((s) => launch ? s !== "launch/patient" : s !== "launch").join(" ");
  const q = new URLSearchParams({
    response_type: "code", client_id: cfg.client_id, redirect_uri: cfg.redirect_uri, scope, state, aud: iss,
    code_challenge: await challengeOf(verifier), code_challenge_method: "S256",
  });
  if (launch) q.set("launch", launch);
  location.assign(smart.authorization_endpoint + "?" + q.toString());
}

// finish exchanges the code for a token.
async function finish(cfg, params) {
  const st = load();
  history.replaceState(null, "", location.pathname);
  if (!st.state || params.get("state") !== st.state) throw new Error("The answer does not match a sign-in this app began.");
  status("Getting a token…");
  const res = await fetch(st.token_endpoint, {
    method: "POST",
    headers: { "Content-Type": "application/x-www-form-urlencoded", Accept: "application/json" },
    body: new URLSearchParams({
      grant_type: "authorization_code", code: params.get("code"), redirect_uri: cfg.redirect_uri,
      client_id: cfg.client_id, code_verifier: st.verifier,
    }),
  });
  const tok = await res.json();
  if (!res.ok) throw new Error("The token request failed: " + (tok.error_description || tok.error || res.status));
  save({ iss: st.iss, access_token: tok.access_token, patient: tok.patient, scope: tok.scope });
}

// fhir reads path with the token. A 401 means the token itself is no
// good (revoked or expired); a 403 means the token is good but was not
// given this kind of record (a partial consent): the two are told apart.
async function fhir(st, path) {
  const res = await fetch(st.iss + "/" + path, {
    headers: { Authorization: "Bearer " + st.access_token, Accept: "application/fhir+json" },
  });
  if (res.status === 401) {
    const err = new Error("The server refused the token: access was revoked or has expired.");
    err.refused = true;
    throw err;
  }
  if (res.status === 403) {
    const err = new Error("This app was not given access to " + path.split(/[/?]/)[0] + " records.");
    err.forbidden = true;
    throw err;
  }
  if (!res.ok) throw new Error("Reading " + path.split("?")[0] + " failed (" + res.status + ").");
  return res.json();
}

function nameOf(p) {
  const names = p.name || [];
  const n = names.find((x) => x.use === "official") || names[0];
  if (!n) return "Patient " + p.id;
  return n.text || [...(n.given || []), n.family || ""].join(" ").trim();
}

function valueOf(o) {
  const q = o.valueQuantity;
  if (q) return q.value + " " + (q.unit || q.code || "");
  if (o.component) {
    return o.component.filter((c) => c.valueQuantity)
      .map((c) => c.valueQuantity.value + " " + (c.valueQuantity.unit || "")).join(" / ");
  }
  return (o.valueCodeableConcept && o.valueCodeableConcept.text) || o.valueString || "";
}

// show reads the patient and their latest vital signs.
async function show() {
  const st = load();
  if (!st.access_token) return false;
  status("Reading the record…");
  const granted = $("granted");
  granted.replaceChildren();
  for (const s of (st.scope || "").split(" ").filter(Boolean)) {
    const li = document.createElement("li");
    li.textContent = s;
    granted.append(li);
  }
  const notes = [];
  // Each part is read on its own: a part the patient did not share is
  // said so, and the rest is still shown.
  try {
    const p = await fhir(st, "Patient/" + encodeURIComponent(st.patient));
    $("patient-name").textContent = nameOf(p);
    $("patient-details").textContent = [p.gender, p.birthDate && "born " + p.birthDate].filter(Boolean).join(", ");
  } catch (err) {
    if (!err.forbidden) throw err;
    $("patient-name").textContent = "Not shared with this app";
    $("patient-details").textContent = "";
    notes.push("the patient's details");
  }
  const body = $("vitals");
  body.replaceChildren();
  let bundle = {};
  try {
    bundle = await fhir(st, "Observation?patient=" + encodeURIComponent(st.patient) +
      "&category=vital-signs&_sort=-date&_count=12");
  } catch (err) {
    if (!err.forbidden) throw err;
    bundle = { forbidden: true };
    notes.push("vital signs");
  }
  const seen = new Set();
  for (const e of bundle.entry || []) {
    const o = e.resource;
    const label = (o.code && (o.code.text || (o.code.coding && o.code.coding[0] && o.code.coding[0].display))) || "Observation";
    if (seen.has(label) || !valueOf(o)) continue; // panels carry no value of their own
    seen.add(label);
    const tr = document.createElement("tr");
    for (const text of [label, valueOf(o), (o.effectiveDateTime || "").slice(0, 10)]) {
      const td = document.createElement("td");
      td.textContent = text;
      tr.append(td);
    }
    body.append(tr);
  }
  if (!seen.size) {
    const tr = document.createElement("tr");
    const td = document.createElement("td");
    td.colSpan = 3;
    td.id = bundle.forbidden ? "vitals-forbidden" : "";
    td.textContent = bundle.forbidden ? "Vital signs were not shared with this app." : "No vital signs on file.";
    tr.append(td);
    body.append(tr);
  }
  $("record").hidden = false;
  $("start").hidden = true;
  status(notes.length ? "Connected. Not shared with this app: " + notes.join(" and ") + "." : "Connected.");
  return true;
}

async function main() {
  const cfg = await (await fetch("config.json")).json();
  const params = new URLSearchParams(location.search);
  $("standalone").addEventListener("click", () => begin(cfg, cfg.fhir_base, null).catch(fail));
  $("reload").addEventListener("click", () => show().catch(fail));
  $("forget").addEventListener("click", () => { sessionStorage.removeItem(KEY); location.assign(location.pathname); });
  if (params.get("error")) {
    history.replaceState(null, "", location.pathname);
    throw new Error("The sign-in did not complete: " + (params.get("error_description") || params.get("error")));
  }
  if (params.get("iss") && params.get("launch")) {
    await begin(cfg, params.get("iss"), params.get("launch"));
    return;
  }
  if (params.get("code")) await finish(cfg, params);
  if (!(await show())) {
    $("start").hidden = false;
    status("Not connected.");
  }
}

function fail(err) {
  status(err.message || String(err), true);
  if (err.refused) $("record").dataset.refused = "true";
  $("start").hidden = !!load().access_token;
}

main().catch(fail);
