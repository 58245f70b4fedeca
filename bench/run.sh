#!/usr/bin/env bash
# Benchmarks of customer_visit, each in a fresh database of its own.
#
#   bench/run.sh batch [N]     the batch-callback wizard on N sale orders (10000)
#
# Prints the figures; the database is dropped at the end.
source "$(dirname "$0")/../scripts/lib.sh"

what="${1:-batch}"
cv_ensure_all
export PGHOST="$CV_DB_HOST" PGPORT="$CV_DB_PORT" PGUSER="$CV_DB_USER"
work="$(mktemp -d)"
db="cv_bench_$(date +%s)_$$"
trap 'dropdb --if-exists "$db" >/dev/null 2>&1 || true; rm -rf "$work"' EXIT
ADDONS="$(cv_addons_path "$work/addons")"

cv_log "installing customer_visit without demo data in $db"
cv_odoo -d "$db" --addons-path="$ADDONS" --data-dir="$work/data" -i customer_visit \
    --without-demo=all --stop-after-init --log-level=warn --http-port=0 >/dev/null

case "$what" in
    batch)
        export CV_BENCH_N="${2:-10000}"
        cv_odoo shell -d "$db" --addons-path="$ADDONS" --data-dir="$work/data" \
            --log-level=warn --no-http < "${CV_BENCH_SCRIPT:-$CV_REPO/bench/bench_batch.py}"
        ;;
    *) cv_die "unknown benchmark: $what" ;;
esac
