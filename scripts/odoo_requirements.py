"""Print Odoo's pinned requirements, resolved for Python 3.12.

Odoo 18.0 pins one version per Ubuntu/Debian release; the 3.12 (Noble) pins
have wheels for 3.11 too, while the 3.11 pins (cryptography 3.4.8,
pyopenssl 21) no longer build.  We therefore evaluate every environment
marker as if the interpreter were 3.12 and print plain requirement lines.

Usage: python3 odoo_requirements.py ODOO_SRC/requirements.txt
"""

import sys

from packaging.markers import Marker


def resolve(lines):
    env = {"python_version": "3.12", "python_full_version": "3.12.0"}
    for raw in lines:
        line = raw.split("#", 1)[0].strip()
        if not line:
            continue
        requirement, _, marker = line.partition(";")
        if marker.strip() and not Marker(marker.strip()).evaluate(env):
            continue
        yield requirement.strip()


if __name__ == "__main__":
    with open(sys.argv[1], encoding="utf-8") as handle:
        print("\n".join(resolve(handle)))
