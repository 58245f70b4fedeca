#!/usr/bin/env bash
# Run the whole test suite of customer_visit in a throw-away database.
#
#   scripts/test.sh
#
# Installs what is missing (as scripts/setup.sh does), creates a database,
# installs customer_visit with --test-enable (at_install and post_install
# tests, browser tours in Chromium), drops the database, prints
# "N passed, N failed" and exits non-zero on any failure, error, skipped
# test, install error or lint message (scripts/lint.sh runs first, and
# counts as one test; CV_SKIP_LINT=1 leaves it out).  Extra arguments go to
# Odoo (e.g. --test-tags).
source "$(dirname "$0")/lib.sh"

cv_ensure_all
cv_ensure_test_requirements

# The lint first (OCA's checks, scripts/lint.sh): it counts as one test.
lint_rc=skipped
if [ "${CV_SKIP_LINT:-0}" != 1 ]; then
    lint_rc=0
    bash "$CV_REPO/scripts/lint.sh" || lint_rc=$?
fi
export PGHOST="$CV_DB_HOST" PGPORT="$CV_DB_PORT" PGUSER="$CV_DB_USER"

work="$(mktemp -d)"
db="cv_test_$(date +%s)_$$"
data_dir="$work/filestore"
log="$work/odoo-test.log"
odoo_pid=
cleanup() {
    # An interrupted run stops its Odoo first (in the background it ignores
    # Ctrl-C), then drops its database and files.
    if [ -n "$odoo_pid" ]; then kill "$odoo_pid" 2>/dev/null || true; wait "$odoo_pid" 2>/dev/null || true; fi
    dropdb --if-exists "$db" >/dev/null 2>&1 || true
    rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

ADDONS="$(cv_addons_path "$work/addons")"
port="$("$PYTHON" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"

# Browser tours are skipped silently without these: say so up front.
command -v chromium >/dev/null || command -v google-chrome >/dev/null \
    || cv_log "Chromium is missing: browser tours will be skipped and counted as failures"
# Odoo gives Chromium 10 s to open its devtools port, then skips the tour: a
# cold first start on a loaded machine can take longer. Start it once now,
# so that its files are in the page cache when the first tour starts it.
browser="$(command -v chromium || command -v google-chrome || true)"
if [ -n "$browser" ]; then
    timeout 60 "$browser" --headless=new --no-sandbox --disable-gpu --dump-dom about:blank \
        >/dev/null 2>&1 || true
fi

cv_log "testing in database $db (log: kept only on failure)"
set +e
# Odoo writes to the log file, not to a pipe: a browser a tour left behind
# (one that missed its start-up deadline) would hold a pipe open, and the
# run would never end. The progress is followed from the file meanwhile.
: >"$log"
# Its own temporary folder: the tours' browser profiles are made there, and
# only this run's browsers are stopped afterwards.
mkdir -p "$work/tmp"
TMPDIR="$work/tmp" cv_odoo -d "$db" --addons-path="$ADDONS" --data-dir="$data_dir" \
    -i customer_visit --test-enable --test-tags="${CV_TEST_TAGS:-/customer_visit}" \
    --stop-after-init --http-interface=127.0.0.1 --http-port="$port" \
    --max-cron-threads=0 --log-level=info "$@" >"$log" 2>&1 &
odoo_pid=$!
tail -n +1 --pid="$odoo_pid" -f "$log" 2>/dev/null | grep -E --line-buffered \
    ' (ERROR|CRITICAL|WARNING) |Starting |tests when loading| skipped '
wait "$odoo_pid"
odoo_rc=$?
odoo_pid=
# Browsers of this run's tours still alive (their profiles are in its folder).
pkill -f -- "$work/tmp/.*_chrome_odoo" 2>/dev/null
set -e

rc=0
"$PYTHON" "$CV_REPO/scripts/test_summary.py" "$log" "$odoo_rc" "$lint_rc" || rc=$?
if [ $rc != 0 ]; then
    mkdir -p "$CV_HOME/test-logs"
    cp "$log" "$CV_HOME/test-logs/$db.log"
    cv_log "full log: $CV_HOME/test-logs/$db.log"
fi
exit $rc
