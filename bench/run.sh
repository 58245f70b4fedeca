#!/usr/bin/env bash
# Benchmarks of customer_visit, each in a fresh database of its own.
#
#   bench/run.sh batch [N]     the batch-callback wizard on N sale orders (10000)
#   bench/run.sh report [N]    N signed visit sheets printed in one PDF (200)
#   bench/run.sh ledger [N]    the xlsx ledger of N visits (100000)
#   bench/run.sh generate [N...]  the Generate cron on N sources, each N in a
#                              fresh database (1000 10000 100000)
#   bench/run.sh kill [N]      the Generate cron of a real server killed with
#                              SIGKILL mid-run, restarted, against a clean
#                              run on a copy of the data (20000)
#   bench/run.sh indicators [N]  the indicators of a cycle, the dashboard's data
#                              and the monthly report over N visits and N/5
#                              cases not planned (100000)
#   bench/run.sh lifecycle     update the addon on a database with data, then
#                              uninstall it; checks what is kept and left
#   bench/run.sh load [AGENTS] [SECONDS]  agents logging outcomes over
#                              JSON-RPC against 2 workers (20 60)
#   bench/run.sh dispatch [N]  the Dispatch job on N e-mail, SMS and
#                              questionnaire visits due at once, a batch per
#                              call and a commit after each, then batches of
#                              100, 500 and 1000 compared; IAP and SMTP are
#                              answered in the process, nothing leaves; then
#                              N more sent by the Dispatch jobs of a server's
#                              2 cron workers (CV_BENCH_WORKERS) (10000)
#   bench/run.sh portal [ANSWERS] [CLIENTS]  customers answering their visit
#                              on the portal (GET the page, POST the answer)
#                              against 2 workers, then every acknowledged
#                              answer checked in the database (1000 20);
#                              CV_BENCH_THINK=5: 5 s on the page before answering;
#                              CV_BENCH_HTTP_WORKERS=5: 5 HTTP workers
#
# Prints the figures; the database is dropped at the end.
source "$(dirname "$0")/../scripts/lib.sh"

what="${1:-batch}"
if [ "$what" = generate ] && [ $# -ne 2 ]; then
    # One fresh database per size.
    for n in ${@:2}; do "$0" generate "$n" || exit 1; done
    [ $# -gt 1 ] || for n in 1000 10000 100000; do "$0" generate "$n" || exit 1; done
    exit 0
fi
cv_ensure_all
export PGHOST="$CV_DB_HOST" PGPORT="$CV_DB_PORT" PGUSER="$CV_DB_USER"
work="$(mktemp -d)"
db="cv_bench_$(date +%s)_$$"
trap 'dropdb --if-exists "$db" >/dev/null 2>&1 || true; rm -rf "$work"' EXIT
ADDONS="$(cv_addons_path "$work/addons")"
"$PYTHON" "$CV_REPO/bench/machine.py"

# A server with 2 workers (CV_BENCH_HTTP_WORKERS) on a free loopback port,
# for the benchmarks that drive it over HTTP (extra Odoo options as
# arguments); stopped on exit. Its one database by -d alone, no
# --db-filter: with a filter Odoo lists PostgreSQL's databases on every
# request.
start_server() {
    port="$("$PYTHON" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
    cv_odoo -d "$db" --addons-path="$ADDONS" --data-dir="$work/data" \
        --http-interface=127.0.0.1 --http-port="$port" --workers="${CV_BENCH_HTTP_WORKERS:-2}" --max-cron-threads=0 \
        --log-level=warn "$@" >"$work/server.log" 2>&1 &
    server=$!
    trap 'pkill -TERM -P $server 2>/dev/null || true; kill $server 2>/dev/null || true; wait $server 2>/dev/null || true; dropdb --if-exists "$db" >/dev/null 2>&1 || true; rm -rf "$work"' EXIT
    for _ in $(seq 60); do
        "$PYTHON" -c 'import sys, urllib.request; urllib.request.urlopen(sys.argv[1], timeout=2)' \
            "http://127.0.0.1:$port/web/health" 2>/dev/null && break
        sleep 1
    done
}

if [ "$what" = lifecycle ]; then
    cv_log "installing customer_visit with its demo data in $db"
    cv_odoo -d "$db" --addons-path="$ADDONS" --data-dir="$work/data" -i customer_visit \
        --stop-after-init --log-level=warn --http-port=0 >/dev/null
    export CV_LIFECYCLE_FILE="$work/snapshot.json"
    step() {
        CV_LIFECYCLE_STEP="$1" cv_odoo shell -d "$db" --addons-path="$ADDONS" --data-dir="$work/data" \
            --log-level=warn --no-http < "$CV_REPO/bench/bench_lifecycle.py"
    }
    step data && step snapshot || exit 1
    cv_log "updating customer_visit (-u)"
    cv_odoo -d "$db" --addons-path="$ADDONS" --data-dir="$work/data" -u customer_visit \
        --stop-after-init --log-level=warn --http-port=0 >/dev/null
    step compare || exit 1
    # Odoo logs an error for each record it cannot delete yet (still
    # referenced); it keeps those and goes on: count them, keep the output short.
    rc=0; step uninstall 2>"$work/uninstall.log" || rc=$?
    echo "uninstall: Odoo logged $(grep -c 'bad query' "$work/uninstall.log") refused deletions of records still referenced"
    [ $rc = 0 ] || tail -20 "$work/uninstall.log"
    exit $rc
fi
cv_log "installing customer_visit without demo data in $db"
cv_odoo -d "$db" --addons-path="$ADDONS" --data-dir="$work/data" -i customer_visit \
    --without-demo=all --stop-after-init --log-level=warn --http-port=0 >/dev/null

case "$what" in
    batch)
        export CV_BENCH_N="${2:-10000}"
        cv_odoo shell -d "$db" --addons-path="$ADDONS" --data-dir="$work/data" \
            --log-level=warn --no-http < "${CV_BENCH_SCRIPT:-$CV_REPO/bench/bench_batch.py}"
        ;;
    report|indicators)
        # wkhtmltopdf fetches the report's CSS over HTTP: serve the database.
        port="$("$PYTHON" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
        cv_odoo -d "$db" --addons-path="$ADDONS" --data-dir="$work/data" \
            --http-interface=127.0.0.1 --http-port="$port" --max-cron-threads=0 --log-level=warn >"$work/server.log" 2>&1 &
        server=$!
        trap 'pkill -TERM -P $server 2>/dev/null || true; kill $server 2>/dev/null || true; dropdb --if-exists "$db" >/dev/null 2>&1 || true; rm -rf "$work"' EXIT
        sleep 5
        if [ "$what" = report ]; then default_n=200; else default_n=100000; fi
        export CV_BENCH_N="${2:-$default_n}" CV_REPORT_URL="http://127.0.0.1:$port"
        cv_odoo shell -d "$db" --addons-path="$ADDONS" --data-dir="$work/data" \
            --log-level=warn --no-http < "$CV_REPO/bench/bench_$what.py"
        ;;
    items)
        # bench/run.sh items [N]: the per-item statistics of a cycle over N
        # done visits of a 10-item card, 10 N answers (100000).
        export CV_BENCH_N="${2:-100000}"
        cv_odoo shell -d "$db" --addons-path="$ADDONS" --data-dir="$work/data" \
            --log-level=warn --no-http < "$CV_REPO/bench/bench_items.py"
        ;;
    generate)
        export CV_BENCH_N="$2"
        cv_odoo shell -d "$db" --addons-path="$ADDONS" --data-dir="$work/data" \
            --log-level=warn --no-http < "$CV_REPO/bench/bench_generate.py"
        ;;
    load)
        export CV_BENCH_AGENTS="${2:-20}" CV_BENCH_SECONDS="${3:-60}"
        cv_odoo shell -d "$db" --addons-path="$ADDONS" --data-dir="$work/data" \
            --log-level=warn --no-http < "$CV_REPO/bench/bench_load_fixture.py"
        start_server
        "$PYTHON" "$CV_REPO/bench/bench_load.py" "http://127.0.0.1:$port" "$db" || {
            tail -20 "$work/server.log"; exit 1; }
        ;;
    dispatch)
        export CV_BENCH_N="${2:-10000}" CV_BENCH_WORKERS_FILE="$work/workers.json"
        cv_odoo shell -d "$db" --addons-path="$ADDONS" --data-dir="$work/data" \
            --log-level=warn --no-http < "$CV_REPO/bench/bench_dispatch.py" || exit 1
        # Then the same job run by a server's cron workers, one per process.
        start_server --max-cron-threads="${CV_BENCH_WORKERS:-2}"
        "$PYTHON" "$CV_REPO/bench/bench_dispatch_workers.py" "$db" "$work/server.log" || {
            tail -20 "$work/server.log"; exit 1; }
        ;;
    portal)
        export CV_BENCH_ANSWERS="${2:-1000}" CV_BENCH_CLIENTS="${3:-20}"
        export CV_BENCH_PORTAL_FILE="$work/portal.json"
        cv_odoo shell -d "$db" --addons-path="$ADDONS" --data-dir="$work/data" \
            --log-level=warn --no-http < "$CV_REPO/bench/bench_portal_fixture.py"
        start_server --log-handler=werkzeug:INFO
        # werkzeug's request lines give the server side's queries and times.
        "$PYTHON" "$CV_REPO/bench/bench_portal.py" "http://127.0.0.1:$port" "$db" "$work/server.log" || {
            grep -v ' werkzeug: ' "$work/server.log" | tail -20; exit 1; }
        ;;
    kill)
        source "$CV_REPO/bench/kill.sh" "${2:-20000}"
        ;;
    ledger)
        export CV_BENCH_N="${2:-100000}"
        cv_odoo shell -d "$db" --addons-path="$ADDONS" --data-dir="$work/data" \
            --log-level=warn --no-http < "${CV_BENCH_SCRIPT:-$CV_REPO/bench/bench_ledger.py}"
        ;;
    *) cv_die "unknown benchmark: $what" ;;
esac
