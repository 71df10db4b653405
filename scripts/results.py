#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Summarise a 'make check' run: KUnit results (kunit.py parse --json),
guest suites (TAP files in build/results) and the kernel log check.
Prints one line per suite, failures in detail, and the closing line
'N passed, N failed, N skipped'. Exits 1 when anything failed."""

import argparse
import fnmatch
import json
import os
import re
import sys


def leaves(group):
    for case in group.get("test_cases", []):
        yield case["name"], case["status"]
    for sub in group.get("sub_groups", []):
        for name, status in leaves(sub):
            yield f"{sub['name']}.{name}", status


def tap_results(text):
    """Top-level TAP/KTAP result lines: (ok, skip, description)."""
    plan = None
    out = []
    for line in text.splitlines():
        m = re.match(r"^1\.\.(\d+)", line)
        if m:
            plan = int(m.group(1))
            continue
        m = re.match(r"^(not )?ok \d+\s*-?\s*(.*)$", line)
        if not m:
            continue
        desc = m.group(2)
        skip = bool(re.search(r"#\s*SKIP", desc, re.I))
        out.append((m.group(1) is None, skip, desc))
    return plan, out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--kunit-json")
    ap.add_argument("--kunit-globs")
    ap.add_argument("--results")
    ap.add_argument("--suites")
    ap.add_argument("--only", default="")
    ap.add_argument("--splats", type=int, default=0,
                    help="exit status of check-splats.sh")
    ap.add_argument("--guest-rc", type=int, default=0)
    a = ap.parse_args()

    passed = failed = skipped = 0
    details = []

    def suite_line(name, p, f, s, note=""):
        nonlocal passed, failed, skipped
        passed += p
        failed += f
        skipped += s
        state = "FAIL" if f else ("SKIP" if not p and s else "ok")
        print(f"  {state:4} {name}: {p} passed, {f} failed, {s} skipped{note}")

    # KUnit
    if a.kunit_json:
        globs = [g.strip() for g in open(a.kunit_globs)
                 if g.strip() and not g.startswith("#")]
        try:
            root = json.load(open(a.kunit_json))
        except (OSError, ValueError):
            root = {}
        groups = root.get("sub_groups", [])
        cases = root.get("test_cases", [])
        # Suites without subtests (init failed, crashed, skipped) land here.
        for case in cases:
            st = case.get("status", "FAIL")
            skip = st == "SKIP"
            bad = st not in ("PASS", "SKIP")
            suite_line(f"kunit/{case['name']}", int(st == "PASS"),
                       int(bad), int(skip), f" ({st})")
            if bad:
                details.append(f"kunit/{case['name']}: {st}")
        for s in groups:
            leaf = list(leaves(s))
            p = sum(1 for _, st in leaf if st == "PASS")
            sk = sum(1 for _, st in leaf if st == "SKIP")
            bad = [(n, st) for n, st in leaf if st not in ("PASS", "SKIP")]
            if not leaf:
                bad = [("(no test cases)", "ERROR")]
            suite_line(f"kunit/{s['name']}", p, len(bad), sk)
            details += [f"kunit/{s['name']}.{n}: {st}" for n, st in bad]
        for g in globs:
            if not any(fnmatch.fnmatch(s["name"], g) for s in groups + cases):
                suite_line(f"kunit/{g}", 0, 1, 0, " (no suite ran)")
                details.append(f"kunit/{g}: no KUnit suite matching it ran")

    # Guest suites
    only = set(a.only.split())
    for line in open(a.suites):
        f = line.split()
        if not f or f[0].startswith("#"):
            continue
        name = f[0]
        if only and name not in only:
            continue
        tap = os.path.join(a.results, name + ".tap")
        rcf = os.path.join(a.results, name + ".rc")
        if not os.path.exists(rcf):
            suite_line(name, 0, 1, 0, " (did not run)")
            details.append(f"{name}: did not run (guest exit status {a.guest_rc})")
            continue
        rc = int(open(rcf).read().strip() or 1)
        text = open(tap, errors="replace").read()
        plan, res = tap_results(text)
        p = sum(1 for ok, sk, _ in res if ok and not sk)
        sk = sum(1 for ok, sk, _ in res if sk)
        bad = [d for ok, sk, d in res if not ok and not sk]
        note = ""
        if rc == 4 and not res:          # KSFT_SKIP for the whole suite
            sk += 1
            note = " (whole suite skipped)"
        elif rc == 124 or rc == 137:
            bad.append(f"timed out after {len(res)} results")
        elif plan is not None and plan != len(res):
            bad.append(f"planned {plan} tests, {len(res)} reported (exit {rc})")
        elif rc != 0 and not bad:
            bad.append(f"exit status {rc}")
        elif not res:
            bad.append("no TAP results")
        suite_line(name, p, len(bad), sk, note)
        details += [f"{name}: {d}" for d in bad]
        for ok, s, d in res:
            if s:
                details.append(f"{name}: skipped: {d}")

    # The guest itself: a hang or crash after the last suite still fails.
    if a.guest_rc:
        suite_line("guest run", 0, 1, 0, f" (exit status {a.guest_rc})")
        details.append(f"guest run: vm.sh exit status {a.guest_rc}")

    # Kernel log
    suite_line("kernel log (no WARNING/BUG/KASAN/lockdep/kmemleak/DMA-API)",
               0 if a.splats else 1, 1 if a.splats else 0, 0)
    if a.splats:
        details.append("kernel log: splat(s), see above")

    if details:
        print("details:")
        for d in details:
            print(f"  {d}")
    print(f"{passed} passed, {failed} failed, {skipped} skipped")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
