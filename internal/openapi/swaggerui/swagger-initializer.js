// Starts Swagger UI with the settings the server wrote into the page's
// data- attributes (kept out of inline script so the page's
// Content-Security-Policy can forbid inline scripts).
"use strict";
window.addEventListener("DOMContentLoaded", function () {
  var root = document.getElementById("swagger-ui");
  var d = root.dataset;
  var redirect = d.redirectUrl || new URL("oauth2-redirect.html", window.location.href).href;
  window.ui = SwaggerUIBundle({
    url: d.documentUrl,
    dom_id: "#swagger-ui",
    deepLinking: true,
    presets: [SwaggerUIBundle.presets.apis, SwaggerUIStandalonePreset],
    plugins: [SwaggerUIBundle.plugins.DownloadUrl],
    layout: "StandaloneLayout",
    oauth2RedirectUrl: redirect,
    persistAuthorization: false,
    // The document validator at swagger.io would send our document away.
    validatorUrl: null
  });
  window.ui.initOAuth({
    clientId: d.clientId,
    scopes: d.scopes ? d.scopes.split(" ") : [],
    usePkceWithAuthorizationCodeGrant: true
  });
});
