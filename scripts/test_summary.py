"""Turn an Odoo test log into "N passed, N failed" and an exit code.

Odoo ends a --test-enable run with
"X failed, Y error(s) of Z tests when loading database 'db'".
Skipped tests count as failures (a browser tour is skipped when Chromium or
websocket-client is missing), and so does any ERROR/CRITICAL line outside a
test failure (an install error), or a missing summary line (a crash).

The lint (scripts/lint.sh) counts as one test: passed when its exit code
is 0, failed otherwise, left out when it was skipped.

Usage: python3 test_summary.py LOG ODOO_EXIT_CODE [LINT_EXIT_CODE|skipped]
"""

import re
import sys

LINE = re.compile(
    r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d+ \d+ "
    r"(?P<level>[A-Z]+) \S+ (?P<logger>\S+): (?P<msg>.*)$"
)
SUMMARY = re.compile(
    r"(\d+) failed, (\d+) error\(s\) of (\d+) tests when loading database"
)
TEST_FAILURE = re.compile(
    r"^(FAIL|ERROR): |^Module \S+: \d+ failures, \d+ errors of \d+ tests"
    r"|failed, \d+ error\(s\) of"
)


def summarize(lines, odoo_rc, lint_rc=None):
    failed = errors = run = None
    skipped, stray = [], []
    for line in lines:
        match = LINE.match(line.rstrip("\n"))
        if not match:
            continue
        msg = match["msg"]
        if summary := SUMMARY.search(msg):
            failed, errors, run = map(int, summary.groups())
        elif msg.startswith("skipped "):
            skipped.append(msg)
        elif match["level"] in ("ERROR", "CRITICAL") and not TEST_FAILURE.search(msg):
            stray.append(msg)
        elif "demo data failed to install" in msg:
            # Odoo only warns, and goes on without the demo data.
            stray.append(msg)
    problems = []
    if run is None:
        problems.append("Odoo printed no test summary (crash or install error)")
        failed, errors, run = 0, 0, 0
    if run == 0:
        problems.append("no test ran")
    problems += [f"skipped test counted as failed: {msg}" for msg in skipped]
    problems += [f"error outside a test: {msg}" for msg in stray]
    if odoo_rc != 0 and not (failed or errors):
        problems.append(f"Odoo exited with code {odoo_rc}")
    # Problems outside the test counts (stray errors, nothing run, a bad
    # exit code) add one failure so the closing line never reads "0 failed".
    outside = bool(stray or run == 0 or (odoo_rc and not (failed or errors)))
    n_failed = failed + errors + len(skipped) + int(outside)
    n_passed = max(run - failed - errors - len(skipped), 0)
    if lint_rc is not None:
        if lint_rc:
            problems.append("the lint failed (scripts/lint.sh)")
            n_failed += 1
        else:
            n_passed += 1
    return n_passed, n_failed, problems


def main():
    path, odoo_rc = sys.argv[1], int(sys.argv[2])
    lint = sys.argv[3] if len(sys.argv) > 3 else "skipped"
    lint_rc = None if lint.startswith("skipped") else int(lint)
    with open(path, encoding="utf-8", errors="replace") as handle:
        n_passed, n_failed, problems = summarize(handle, odoo_rc, lint_rc)
    for problem in problems:
        print(f"problem: {problem}")
    print(f"{n_passed} passed, {n_failed} failed")
    return 1 if n_failed or problems else 0


if __name__ == "__main__":
    sys.exit(main())
