# Sourced by bench/run.sh kill [N]: the two Generate jobs (one rule, a part
# each), run by a real
# Odoo server with two cron threads, killed with SIGKILL in the middle of
# their work, then restarted, must end with exactly the visits of a clean
# run on a copy of the data.
n="${1:-20000}"
CV_BENCH_N="$n" CV_BENCH_NAIVE_N=1 CV_BENCH_FIXTURE_ONLY=1 cv_odoo shell -d "$db" --addons-path="$ADDONS" \
    --data-dir="$work/data" --log-level=warn --no-http < "$CV_REPO/bench/bench_generate.py" || exit 1
psql -qd "$db" -c "UPDATE ir_cron SET nextcall = now() AT TIME ZONE 'UTC' - interval '1 minute'
    WHERE visit_generate_part > 0 OR id IN (SELECT res_id FROM ir_model_data
          WHERE module = 'customer_visit' AND name = 'ir_cron_visit_generate')"
clean="${db}_clean"
createdb -T "$db" "$clean"
trap 'pkill -KILL -P "${server:-0}" 2>/dev/null || true; dropdb --if-exists "$clean" >/dev/null 2>&1 || true; dropdb --if-exists "$db" >/dev/null 2>&1 || true; rm -rf "$work"' EXIT

serve() {  # a server running crons only (its two cron threads), on database $1
    cv_odoo -d "$1" --addons-path="$ADDONS" --data-dir="$work/data" --no-http --max-cron-threads=2 \
        --log-level=warn >>"$work/$1.log" 2>&1 &
    server=$!
}
planned() { psql -Atd "$1" -c "SELECT count(*) FROM visit_plan WHERE rule_id IS NOT NULL"; }
wait_planned() {  # until every source has its plan (or 10 minutes)
    for i in $(seq 600); do
        [ "$(planned "$1")" -ge "$n" ] && return 0
        # Cron threads wake up every minute, or at once on this notification
        # (sent on the database "postgres", where they listen).
        [ $((i % 5)) = 1 ] && psql -qd postgres -c "NOTIFY cron_trigger, '$1'"
        sleep 1
    done
    return 1
}
stop() { pkill -TERM -P "$server" 2>/dev/null; wait "$server" 2>/dev/null || true; }
fingerprint() {
    psql -Atd "$1" -c "
      SELECT count(*) || ' visits, fingerprint ' || md5(string_agg(concat_ws('|', p.rule_id, p.rule_source_id,
             r.rule_step_id, r.occurrence, r.scheduled_date, r.deadline, r.user_id, r.partner_id, r.state),
             ',' ORDER BY p.rule_id, p.rule_source_id, r.rule_step_id, r.occurrence))
        FROM visit_plan p JOIN visit_record r ON r.plan_id = p.id WHERE p.rule_id IS NOT NULL"
    psql -Atd "$1" -c "
      SELECT (SELECT count(*) FROM mail_activity WHERE res_model = 'visit.record') || ' activities, '
          || (SELECT count(*) FROM (SELECT 1 FROM visit_plan WHERE rule_id IS NOT NULL
                                    GROUP BY rule_id, rule_source_id HAVING count(*) > 1) d) || ' duplicate plans, '
          || (SELECT count(*) FROM visit_record r WHERE NOT EXISTS (SELECT 1 FROM mail_activity a
                WHERE a.res_model = 'visit.record' AND a.res_id = r.id)) || ' visits without activity'"
}

started() {  # wake the cron up until its first batch is committed
    for _ in $(seq 60); do
        psql -qd postgres -c "NOTIFY cron_trigger, '$1'"
        [ "$(planned "$1")" -gt 0 ] && return 0
        sleep 1
    done
    return 1
}

cv_log "clean run on $clean"
serve "$clean"; started "$clean" || { tail "$work/$clean.log"; exit 1; }
start=$(date +%s.%N)
wait_planned "$clean" || { tail "$work/$clean.log"; exit 1; }; stop
clean_time=$("$PYTHON" -c "import time; print(round(time.time() - $start, 1))")
seed="${CV_KILL_SEED:-$RANDOM}"
kill_after=$("$PYTHON" -c "import random; r = random.Random($seed); print(round(r.uniform(0.2, 0.8) * $clean_time, 1))")
cv_log "killed run on $db: SIGKILL ${kill_after} s after its first batch (seed $seed; the clean run's batches took ${clean_time} s)"
serve "$db"; started "$db" || { tail "$work/$db.log"; exit 1; }
sleep "$kill_after"
pkill -KILL -P "$server"; wait "$server" 2>/dev/null || true
at_kill=$(planned "$db")
cv_log "killed with $at_kill of $n sources planned; restarting"
serve "$db"; wait_planned "$db" || { tail "$work/$db.log"; exit 1; }; stop
a="$(fingerprint "$clean")"; b="$(fingerprint "$db")"
echo "clean run:           $(echo "$a" | tr '\n' ';')"
echo "killed then resumed: $(echo "$b" | tr '\n' ';')"
if [ "$a" = "$b" ] && [ "$(planned "$db")" -eq "$n" ]; then
    echo "identical: $n sources, killed at $at_kill, no visit lost or doubled"
else
    echo "DIFFERENT"; exit 1
fi
