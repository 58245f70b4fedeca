# Shared helpers of scripts/setup.sh and scripts/test.sh (sourced, not run).
# Every step checks first and does nothing when its work is already done.

set -euo pipefail

CV_REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
PYTHON="${PYTHON:-python3}"
if [ "$(id -u)" = 0 ]; then
    CV_HOME="${CV_HOME:-/var/lib/customer_visit}"
else
    CV_HOME="${CV_HOME:-${XDG_DATA_HOME:-$HOME/.local/share}/customer_visit}"
fi
ODOO_BRANCH="${ODOO_BRANCH:-18.0}"
ODOO_REPO_URL="${ODOO_REPO_URL:-https://github.com/odoo/odoo.git}"

cv_log() { printf '[customer_visit] %s\n' "$*" >&2; }
cv_die() { cv_log "ERROR: $*"; exit 1; }

cv_sudo() {
    if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi
}

# Debian packages: PostgreSQL, wkhtmltopdf, CJK fonts, Chromium, headers.
cv_ensure_system_packages() {
    [ "${CV_SKIP_APT:-0}" = 1 ] && return 0
    command -v apt-get >/dev/null || { cv_log "no apt-get: install PostgreSQL, wkhtmltopdf, Chromium and CJK fonts yourself"; return 0; }
    local missing=()
    ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || missing+=(postgresql postgresql-client)
    command -v wkhtmltopdf >/dev/null || missing+=(wkhtmltopdf)
    command -v chromium >/dev/null || missing+=(chromium)
    command -v pdftotext >/dev/null || missing+=(poppler-utils)
    dpkg -s fonts-noto-cjk >/dev/null 2>&1 || missing+=(fonts-noto-cjk)
    command -v pg_config >/dev/null || missing+=(libpq-dev)
    [ -e /usr/include/ldap.h ] || missing+=(libldap2-dev)
    [ -e /usr/include/sasl/sasl.h ] || missing+=(libsasl2-dev)
    command -v git >/dev/null || missing+=(git)
    [ ${#missing[@]} = 0 ] && return 0
    cv_log "installing Debian packages: ${missing[*]}"
    cv_sudo apt-get update -qq
    cv_sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
}

cv_pip() { "$PYTHON" -m pip install -q --disable-pip-version-check "$@"; }

# Odoo 18.0 itself, only when the Python that runs it cannot import it:
# from ODOO_SRC when given, else a shallow clone of Odoo's 18.0 branch.
cv_ensure_odoo() {
    if "$PYTHON" -c 'import odoo.release, sys; sys.exit(odoo.release.version_info[0] != 18)' 2>/dev/null; then
        return 0
    fi
    local src="${ODOO_SRC:-$CV_HOME/odoo-src}"
    if [ ! -f "$src/odoo/release.py" ]; then
        cv_log "cloning Odoo $ODOO_BRANCH into $src"
        git clone --depth 1 --branch "$ODOO_BRANCH" "$ODOO_REPO_URL" "$src"
    fi
    cv_log "installing Odoo from $src"
    cv_pip packaging
    "$PYTHON" "$CV_REPO/scripts/odoo_requirements.py" "$src/requirements.txt" > "$CV_HOME/odoo-requirements.txt"
    cv_pip -r "$CV_HOME/odoo-requirements.txt"
    # compat mode: `odoo` becomes a regular package on sys.path, found before
    # the site-packages/odoo/addons folder that OCA wheels install into.
    cv_pip --no-deps -e "$src" --config-settings editable_mode=compat
}

cv_ensure_python_requirements() {
    if "$PYTHON" -c 'import xlsxwriter, phonenumbers, odoo.addons.helpdesk_mgmt, odoo.addons.report_xlsx' 2>/dev/null; then
        return 0
    fi
    cv_log "installing Python requirements"
    cv_pip -r "$CV_REPO/requirements.txt"
}

# What tests and the lint need besides (test-requirements.txt).
cv_ensure_test_requirements() {
    if "$PYTHON" -c 'import websocket, openpyxl, pypdf, pylint_odoo, ruff, oca_pre_commit_hooks' 2>/dev/null \
        && command -v oca-checks-odoo-module >/dev/null; then
        return 0
    fi
    cv_log "installing test requirements"
    cv_pip -r "$CV_REPO/test-requirements.txt"
}

# PostgreSQL: the server named by PGHOST/PGPORT when set, else an embedded
# cluster of our own under CV_HOME (created and started when needed).
cv_ensure_postgres() {
    if [ -n "${PGHOST:-}" ]; then
        CV_DB_HOST="$PGHOST"
        CV_DB_PORT="${PGPORT:-5432}"
        CV_DB_USER="${PGUSER:-$(id -un)}"
        pg_isready -q -h "$CV_DB_HOST" -p "$CV_DB_PORT" || cv_die "no PostgreSQL answers at $CV_DB_HOST:$CV_DB_PORT"
        return 0
    fi
    local bindir pgdir run_as=()
    bindir="$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)"
    [ -n "$bindir" ] || cv_die "PostgreSQL server binaries not found (install postgresql)"
    pgdir="$CV_HOME/postgresql"
    CV_DB_HOST="$pgdir/run"
    CV_DB_PORT="${CV_PGPORT:-54329}"
    CV_DB_USER="$(id -un)"
    # PostgreSQL refuses to run as root: the cluster then belongs to postgres.
    [ "$(id -u)" = 0 ] && run_as=(runuser -u postgres --)
    mkdir -p "$pgdir/run"
    [ "$(id -u)" = 0 ] && chown -R postgres: "$pgdir"
    if [ ! -f "$pgdir/data/PG_VERSION" ]; then
        cv_log "creating the embedded PostgreSQL cluster in $pgdir/data"
        "${run_as[@]}" "$bindir/initdb" -D "$pgdir/data" -U "$CV_DB_USER" \
            --auth=trust -E UTF8 --locale=C.UTF-8 >/dev/null
    fi
    if ! pg_isready -q -h "$CV_DB_HOST" -p "$CV_DB_PORT"; then
        cv_log "starting the embedded PostgreSQL on socket $CV_DB_HOST"
        "${run_as[@]}" "$bindir/pg_ctl" -D "$pgdir/data" -l "$pgdir/postgresql.log" -w \
            -o "-p $CV_DB_PORT -k $CV_DB_HOST -c listen_addresses=''" start >/dev/null
    fi
}

cv_ensure_all() {
    mkdir -p "$CV_HOME"
    cv_ensure_system_packages
    cv_ensure_odoo
    cv_ensure_python_requirements
    cv_ensure_postgres
}

# An addons folder holding this repository as `customer_visit`, whatever
# the clone's own folder is called.
cv_addons_path() {
    local dir="$1"
    mkdir -p "$dir"
    ln -sfn "$CV_REPO" "$dir/customer_visit"
    local odoo_dirs
    odoo_dirs="$("$PYTHON" -c 'import os, odoo; r = os.path.dirname(odoo.__file__); print(",".join(p for p in (os.path.join(r, "addons"), os.path.join(os.path.dirname(r), "addons")) if os.path.isdir(p)))')"
    printf '%s,%s' "$odoo_dirs" "$dir"
}

cv_odoo() {
    "$PYTHON" "$CV_REPO/scripts/odoo-run" "$@" --db_host="$CV_DB_HOST" --db_port="$CV_DB_PORT" --db_user="$CV_DB_USER"
}
