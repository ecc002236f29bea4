#!/bin/sh
# Photographs every page at 1280 and 390 px into docs/pages (JPEG, the top
# of each page), with headless chromium, by running the pages' screenshot
# test against a seeded in-process server. Run from the repository root:
#
#   tools/screenshots/screenshots.sh [directory]
#
# Needs chromium (apt-get install -y chromium) or EMP_CHROMIUM.
set -eu
dir=${1:-docs/pages}
case $dir in /*) ;; *) dir=$(pwd)/$dir ;; esac
mkdir -p "$dir"
EMP_SCREENSHOTS="$dir" go test -count=1 -run '^TestPageScreenshots$' ./internal/web/
ls -l "$dir"
