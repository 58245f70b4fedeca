#!/usr/bin/env bash
# Lint customer_visit the OCA way, with the tools of .pre-commit-config.yaml
# installed from PyPI (test-requirements.txt): ruff (lint and format),
# pylint-odoo with OCA's mandatory checks for 18.0, OCA's module and .po
# checks.
#
#   scripts/lint.sh          fail on any mandatory message
#   scripts/lint.sh --all    also print the optional checks (.pylintrc)
#
# scripts/test.sh runs it before Odoo starts; `ruff format .` and
# `ruff check --fix .` fix what they report.
source "$(dirname "$0")/lib.sh"

cv_ensure_test_requirements
cd "$CV_REPO"
rc=0
step() {
    local name="$1"; shift
    if "$@"; then
        cv_log "lint: $name: clean"
    else
        cv_log "lint: $name: FAILED"
        rc=1
    fi
}
# Python files of the addon (not the bench and scripts tooling).
# Files of the addon: git's list (tracked and new, not ignored) of those that
# exist, else every file below; never an empty list that would pass.
addon_files() {
    { git ls-files -co --exclude-standard 2>/dev/null || find . -type f -not -path './.git/*' -printf '%P\n'; } \
        | while read -r file; do [ -f "$file" ] && printf '%s\n' "$file"; done
}
mapfile -t py_files < <(addon_files | grep '\.py$' | grep -v '^bench/\|^scripts/')
[ ${#py_files[@]} -gt 1 ] || cv_die "lint: no Python file of the addon found"
step "ruff check" "$PYTHON" -m ruff check --no-fix --quiet .
step "ruff format" "$PYTHON" -m ruff format --check --quiet .
step "pylint-odoo (mandatory checks)" "$PYTHON" -m pylint --rcfile=.pylintrc-mandatory "${py_files[@]}" \
    __manifest__.py
# The hook looks for manifests below the repository's root, not at it: it
# checks a copy of the addon's files in a folder named after the addon.
# README.md, not README.rst: the repository's README is Markdown by choice.
copy="$(mktemp -d)"
trap 'rm -rf "$copy"' EXIT
mkdir "$copy/customer_visit"
addon_files | tar -cf - -T - | tar -xf - -C "$copy/customer_visit"
step "oca-checks-odoo-module" oca-checks-odoo-module --disable=prefer-readme-rst "$copy/customer_visit"
step "oca-checks-po" oca-checks-po --disable=po-pretty-format --no-verbose i18n/*.po i18n/*.pot
if [ "${1:-}" = --all ]; then
    "$PYTHON" -m pylint --rcfile=.pylintrc --exit-zero "${py_files[@]}" || true
fi
exit $rc
