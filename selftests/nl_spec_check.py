#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Prove that include/uapi/tcpstate.h agrees with spec/tcpstate.yaml.

Every enum entry, attribute and command of the spec becomes a C
_Static_assert(NAME == value) compiled against the header, and every
TCPSTATE_A_* / TCPSTATE_CMD_* name in the header must come from the spec.
Prints what disagrees and exits 1; exits 0 when they agree.
"""
import os
import re
import subprocess
import sys
import tempfile

import yaml

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")


def c_name(*parts):
    return "".join(parts).upper().replace("-", "_")


def expected(spec):
    names = {}
    for d in spec.get("definitions", []):
        if d["type"] == "const":
            continue
        value = d.get("value-start", 0)
        for e in d["entries"]:
            if isinstance(e, dict):
                value = e.get("value", value)
                e = e["name"]
            names[c_name(d["name-prefix"], e)] = (
                1 << value if d["type"] == "flags" else value)
            value += 1
    for aset in spec["attribute-sets"]:
        value = 1
        for a in aset["attributes"]:
            value = a.get("value", value)
            names[c_name(aset["name-prefix"], a["name"])] = value
            value += 1
        names[c_name(aset["name-prefix"], "max")] = value - 1
    ops = spec["operations"]
    value = 1
    for op in ops["list"]:
        value = op.get("value", value)
        names[c_name(ops["name-prefix"], op["name"])] = value
        value += 1
    names[c_name(ops["name-prefix"], "max")] = value - 1
    return names


def main():
    with open(os.path.join(ROOT, "spec/tcpstate.yaml")) as f:
        spec = yaml.safe_load(f)
    header = os.path.join(ROOT, "include/uapi/tcpstate.h")
    with open(header) as f:
        text = f.read()
    names = expected(spec)
    errors = []

    in_header = set(re.findall(r"\b(TCPSTATE_(?:A|CMD)_[A-Z0-9_]+)\b", text))
    for n in sorted(in_header - set(names)):
        errors.append("%s is in the header, not in the spec" % n)

    checks = ["#include \"%s\"" % header]
    checks.append('_Static_assert(sizeof(TCPSTATE_FAMILY_NAME) == %d && '
                  'TCPSTATE_FAMILY_VERSION == %d, "family");' % (
                      len(spec["name"]) + 1,
                      [d for d in spec["definitions"]
                       if d["name"] == "family-version"][0]["value"]))
    for n, v in sorted(names.items()):
        checks.append('_Static_assert(%s == %d, "%s should be %d");'
                      % (n, v, n, v))
    groups = [g["name"] for g in spec["mcast-groups"]["list"]]
    if groups != ["events"] or 'TCPSTATE_MCGRP_EVENTS\t\t"events"' not in text:
        errors.append("multicast groups differ: %s" % groups)
    with tempfile.NamedTemporaryFile("w", suffix=".c") as c:
        c.write("\n".join(checks) + "\n")
        c.flush()
        r = subprocess.run(["gcc", "-std=gnu11", "-fsyntax-only", c.name],
                           capture_output=True, text=True)
        for line in r.stderr.splitlines():
            m = re.search(r"(error: .*)", line)
            if m:
                errors.append(m.group(1))
    for e in errors:
        print(e)
    print("%d names checked, %d disagree" % (len(names), len(errors)))
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
