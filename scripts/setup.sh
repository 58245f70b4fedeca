#!/usr/bin/env bash
# Set everything up and start Odoo with customer_visit and demo data.
#
#   scripts/setup.sh            install what is missing, create the database
#                               (demo data + customer_visit), serve on
#                               http://127.0.0.1:8069 (login admin / admin)
#
# Environment: ODOO_SRC (an Odoo 18.0 source tree to install from),
# PYTHON, PGHOST/PGPORT/PGUSER (use that server instead of the embedded one),
# CV_HOME, CV_DB (database name, default customer_visit), CV_HTTP_PORT,
# CV_UPDATE=1 (update the module on an existing database),
# CV_NO_SERVE=1 (prepare everything, do not start the server).
source "$(dirname "$0")/lib.sh"

cv_ensure_all
CV_DB="${CV_DB:-customer_visit}"
ADDONS="$(cv_addons_path "$CV_HOME/addons")"
export PGHOST="$CV_DB_HOST" PGPORT="$CV_DB_PORT" PGUSER="$CV_DB_USER"

installed=$(psql -d "$CV_DB" -tAc "select state from ir_module_module where name = 'customer_visit'" 2>/dev/null || true)
if [ "$installed" != installed ]; then
    cv_log "creating database $CV_DB with demo data and customer_visit"
    cv_odoo -d "$CV_DB" --addons-path="$ADDONS" -i customer_visit --stop-after-init --http-port="${CV_HTTP_PORT:-8069}"
elif [ "${CV_UPDATE:-0}" = 1 ]; then
    cv_odoo -d "$CV_DB" --addons-path="$ADDONS" -u customer_visit --stop-after-init --http-port="${CV_HTTP_PORT:-8069}"
fi
[ "${CV_NO_SERVE:-0}" = 1 ] && { cv_log "database $CV_DB ready"; exit 0; }
cv_log "serving on http://127.0.0.1:${CV_HTTP_PORT:-8069} (login admin, password admin)"
exec "$PYTHON" "$CV_REPO/scripts/odoo-run" --db_host="$CV_DB_HOST" --db_port="$CV_DB_PORT" --db_user="$CV_DB_USER" \
    -d "$CV_DB" --db-filter="^$CV_DB\$" --addons-path="$ADDONS" \
    --http-interface=127.0.0.1 --http-port="${CV_HTTP_PORT:-8069}"
