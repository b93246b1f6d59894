#!/usr/bin/env python3
"""Checks, from the compiled objects of a build, that calls run one way.

Usage: check-layers.py BUILD_DIR [--graph]

Reads every object file compiled from src/ under BUILD_DIR with nm and
links each undefined symbol to the object that defines it. Then:
  1. no two files call each other, directly or around a circle (a strongly
     connected component of more than one file is a module cut in the wrong
     place: DESIGN.md, "calls run one way");
  2. every call from one layer into another follows an arrow of LAYERS
     below (DESIGN.md's picture), so src/tui never reaches src/core and a
     lower layer never calls a higher one.
Exits 1 with one line per breach, 0 when the tree keeps both rules.
--graph also prints the calls between layers that were found.
"""
import collections
import os
import re
import subprocess
import sys

# Layer of a source file, first match wins, and the layers it may call.
# log.c and slab.c sit under everything of core; run.c above all of it.
LAYER_OF = [
    (r"^src/main\.c$", "main"),
    (r"^src/core/(log|slab)\.c$", "core/log"),
    (r"^src/core/run\.c$", "core/run"),
    (r"^src/core/(proc|backend|session|watch|control)/", None),  # folder
    (r"^src/(lib|proto|config|tui)/", None),
]
LAYERS = {
    "lib": set(),
    "proto": {"lib"},
    "config": {"lib"},
    "tui": {"proto", "lib"},
    "core/log": {"lib"},
    "core/proc": {"core/log", "lib"},
    "core/watch": {"config", "core/log", "lib"},
    "core/backend": {"core/proc", "proto", "config", "core/log", "lib"},
    "core/control": {"core/backend", "proto", "config", "core/log", "lib"},
    # session -> proc: the client's pipes use proc's pipe sizing.
    "core/session": {"core/backend", "core/watch", "core/proc", "proto",
                     "config", "core/log", "lib"},
    "core/run": {"core/session", "core/control", "core/watch", "core/backend",
                 "proto", "config", "core/log", "lib"},
    # main -> proc: `mcpmon` is also the exec step of every child.
    "main": {"core/run", "tui", "config", "core/proc", "core/log", "proto",
             "lib"},
}


def layer(src):
    for pattern, name in LAYER_OF:
        m = re.match(pattern, src)
        if m:
            return name if name is not None else src.split("/", 1)[1].rsplit(
                "/", 1)[0]
    return None


TOP = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def objects(build):
    """src path -> object, for sources that still exist (a build folder
    keeps the objects of deleted files)."""
    found = {}
    for root, _, files in os.walk(build):
        rel = "/" + os.path.relpath(root, build) + "/"
        if "/tests/" in rel or "fuzz" in rel:
            continue
        for f in files:
            path = os.path.join(root, f)
            m = re.search(r"/(src/.+\.c)\.o$", path)
            if m and os.path.exists(os.path.join(TOP, m.group(1))):
                found[m.group(1)] = path
    return found


def calls(objs):
    defs, uses = {}, collections.defaultdict(set)
    for src, obj in objs.items():
        out = subprocess.run(["nm", obj], capture_output=True, text=True,
                             check=True).stdout
        for line in out.splitlines():
            p = line.split()
            if len(p) == 3 and p[1] in "TDBRGSVW":
                defs[p[2]] = src
            elif len(p) == 2 and p[0] == "U":
                uses[src].add(p[1])
    edges = collections.defaultdict(set)
    for src, syms in uses.items():
        for s in syms:
            d = defs.get(s)
            if d is not None and d != src:
                edges[src].add(d)
    return edges


def cycles(nodes, edges):
    """Tarjan's strongly connected components of more than one node."""
    index, low, stack, on, out = {}, {}, [], set(), []
    counter = [0]

    def visit(v):
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on.add(v)
        for w in edges.get(v, ()):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                out.append(sorted(comp))

    sys.setrecursionlimit(10000)
    for v in sorted(nodes):
        if v not in index:
            visit(v)
    return out


def main():
    if len(sys.argv) < 2:
        print(__doc__.strip(), file=sys.stderr)
        return 2
    objs = objects(sys.argv[1])
    if len(objs) < 10:
        print(f"check-layers: only {len(objs)} objects from src/ under "
              f"{sys.argv[1]}: build it first", file=sys.stderr)
        return 2
    edges = calls(objs)
    bad = []
    for comp in cycles(objs, edges):
        bad.append("files call each other in a circle: " + " -> ".join(comp))
    between = collections.defaultdict(set)
    for a, bs in sorted(edges.items()):
        la = layer(a)
        if la not in LAYERS:
            bad.append(f"{a}: in no known layer (add it to LAYERS)")
            continue
        for b in sorted(bs):
            lb = layer(b)
            if lb == la:
                continue
            between[la].add(lb)
            if lb not in LAYERS[la]:
                bad.append(f"{a} calls into {lb} ({b}): {la} may call "
                           f"{', '.join(sorted(LAYERS[la])) or 'nothing'}")
    if "--graph" in sys.argv:
        for la in sorted(between):
            print(f"{la} -> {', '.join(sorted(between[la]))}")
    for line in bad:
        print(line)
    if not bad:
        print(f"check-layers: {len(objs)} files, no cycle, every call "
              f"between layers along an arrow")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
