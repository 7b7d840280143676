#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0
"""stats-gen.py [SPEC]: module/stats.h, the namespace's counters, from the
spec's `stats` attribute set (spec/tcpstate.yaml unless SPEC is given); on
stdout. Every u64 attribute of the set is a counter, in the set's order:
its name is the attribute's with '_' for '-', its Prometheus HELP the
first paragraph of the attribute's doc (one line of the header: at most
84 characters). `make uapi` writes it into the tree beside the uapi
header; make check proves both are what the spec gives."""
import sys

import yaml

HEADER = """\
/* SPDX-License-Identifier: GPL-2.0 */
/* Generated from spec/tcpstate.yaml by scripts/stats-gen.py: make uapi */
/*
 * stats.h: the counters of a namespace, listed once (every u64 attribute
 * of the spec's stats set, in its order: procfs and the CLI show them so).
 * Each is TCPSTATE_STAT(ID, name, help): ID names the module's
 * TCPSTATE_STAT_ID and the netlink attribute TCPSTATE_A_STATS_ID; name is
 * the counter's name in procfs, in the CLI and in Prometheus
 * (tcpstate_<name>_total); help is the attribute's doc, Prometheus's HELP
 * text. Whoever includes it defines TCPSTATE_STAT() first, to take from
 * each line what it needs; it is included once for each use (no guard),
 * by the tools too (only the preprocessor).
 */
"""


HELP_MAX = 84


def help_text(name, doc):
    """The doc's first paragraph as one C string, no final period."""
    text = " ".join(doc.strip().split("\n\n")[0].split()).rstrip(".")
    if len(text) > HELP_MAX:
        sys.exit(f"stats-gen: the first paragraph of {name}'s doc is "
                 f"longer than {HELP_MAX} characters")
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def main():
    path = sys.argv[1] if len(sys.argv) > 1 else "spec/tcpstate.yaml"
    with open(path, encoding="utf-8") as f:
        spec = yaml.safe_load(f)
    sets = [s for s in spec["attribute-sets"] if s["name"] == "stats"]
    if len(sets) != 1:
        sys.exit(f"stats-gen: no single 'stats' attribute set in {path}")
    out = [HEADER]
    for attr in sets[0]["attributes"]:
        if attr["type"] != "u64":
            continue
        if not attr.get("doc"):
            sys.exit(f"stats-gen: counter '{attr['name']}' has no doc")
        ident = attr["name"].upper().replace("-", "_")
        name = attr["name"].replace("-", "_")
        out.append(f'TCPSTATE_STAT({ident}, "{name}",\n'
                   f'\t      {help_text(attr["name"], attr["doc"])})\n')
    sys.stdout.write("".join(out))


if __name__ == "__main__":
    main()
