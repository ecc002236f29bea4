#!/usr/bin/env bash
# Fetches the FHIR R4 example resources (CC0) from the npm package
# hl7.fhir.r4.examples into a cache folder and prints the folder holding the
# JSON files. The FHIRPath test suite's inputs under
# internal/fhir/fhirpath/testdata were copied from there; the package itself
# is never committed.
set -euo pipefail
version="${FHIREXAMPLES_VERSION:-4.0.1}"
cache="${FHIREXAMPLES_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/emp/fhirexamples-$version}"
if [ ! -f "$cache/package/Patient-example.json" ]; then
  mkdir -p "$cache"
  (cd "$cache" && npm pack --silent "hl7.fhir.r4.examples@$version" >/dev/null && tar xzf hl7.fhir.r4.examples-*.tgz)
fi
echo "$cache/package"
