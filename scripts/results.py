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


def tap_results(text, diag=None):
    """Top-level TAP/KTAP result lines: (ok, skip, description).
    With a dict as diag, the last diagnostic ('# ...') lines before each
    failing result are stored there under its description."""
    plan = None
    out = []
    comments = []
    for line in text.splitlines():
        m = re.match(r"^1\.\.(\d+)", line)
        if m:
            plan = int(m.group(1))
            continue
        if line.startswith("#"):
            comments = (comments + [line])[-12:]
            continue
        m = re.match(r"^(not )?ok \d+\s*-?\s*(.*)$", line)
        if not m:
            continue
        desc = m.group(2)
        skip = bool(re.search(r"#\s*SKIP", desc, re.I))
        out.append((m.group(1) is None, skip, desc))
        if diag is not None and m.group(1) and not skip:
            diag[desc] = comments
        comments = []
    return plan, out


def read(path, default):
    try:
        with open(path) as f:
            return f.read().strip()
    except OSError:
        return default


def fmt(secs):
    return "-" if secs is None else f"{secs:.0f}"


def print_times(a, times, boots):
    """Per-suite times against their budgets, per boot and in all."""
    print("times (s): suite, time, budget, measured before, guest CPU busy")
    for boot in ["host"] + boots:
        rows = [t for t in times if t[0] == boot]
        if not rows:
            continue
        if boot != "host":
            wall = read(os.path.join(a.results, f"boot-{boot}.time"), "")
            tmo = read(os.path.join(a.results, f"boot-{boot}.budget"), "")
            print(f"  boot {boot}: {wall or '-'} s of its {tmo or '-'} s "
                  "timeout")
        for _, name, secs, busy, measured, budget in rows:
            over = ""
            if secs is not None and secs > 1.5 * measured + 30:
                over = "  (slower than measured)"
            print(f"    {name:22} {fmt(secs):>5} {budget:>5} {measured:>5}"
                  f" {busy + '%' if busy else '':>5}{over}")
        used = sum(t[2] or 0 for t in rows)
        print(f"    {'suites in all':22} {used:5.0f} "
              f"{sum(t[5] for t in rows):5}")
    st = os.path.join(a.results, "stage-times")
    if os.path.exists(st):
        print("  stages: " + ", ".join(
            f"{' '.join(l.split()[:-1])} {l.split()[-1]} s"
            for l in open(st) if l.split()))
    if a.total:
        print(f"  make check: {a.total} s")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--kunit-json")
    ap.add_argument("--kunit-globs")
    ap.add_argument("--results")
    ap.add_argument("--suites")
    ap.add_argument("--only", default="")
    ap.add_argument("--splats", type=int, default=0,
                    help="exit status of check-splats.sh")
    ap.add_argument("--boots", default="")
    ap.add_argument("--one-boot", default="0")
    ap.add_argument("--total", type=int, default=0)
    a = ap.parse_args()

    passed = failed = skipped = 0
    details = []
    skips = []

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

    # Suites (host and guest), with their times against their budgets
    only = set(a.only.split())
    boots = a.boots.split()
    suites = []
    for line in open(a.suites):
        f = line.split()
        if not f or f[0].startswith("#"):
            continue
        name, boot, measured, budget = f[0], f[1], int(f[2]), int(f[3])
        cmd = " ".join(f[4:])
        if cmd.startswith("boot:"):
            continue
        if only and name not in only:
            continue
        if a.one_boot == "1" and boot not in ("host", "iommu"):
            boot = "main"
        suites.append((name, boot, measured, budget, cmd))

    times = []
    for name, boot, measured, budget, cmd in suites:
        if cmd.startswith("kunit:"):
            continue  # counted above, case by case
        tap = os.path.join(a.results, name + ".tap")
        rcf = os.path.join(a.results, name + ".rc")
        if not os.path.exists(rcf):
            brc = read(os.path.join(a.results, f"boot-{boot}.rc"), "?")
            suite_line(name, 0, 1, 0, " (did not run)")
            details.append(f"{name}: did not run (boot '{boot}' exit status "
                           f"{brc}: see build/logs/vm-{boot}.log; 124 is the "
                           "boot's timeout)")
            times.append((boot, name, None, None, measured, budget))
            continue
        rc = int(open(rcf).read().strip() or 1)
        t = read(os.path.join(a.results, name + ".time"), "").split()
        secs = float(t[0]) if t else None
        busy = t[1] if len(t) > 1 and t[1] != "-" else None
        times.append((boot, name, secs, busy, measured, budget))
        text = open(tap, errors="replace").read()
        diag = {}
        plan, res = tap_results(text, diag)
        p = sum(1 for ok, sk, _ in res if ok and not sk)
        sk = sum(1 for ok, sk, _ in res if sk)
        bad = [d for ok, sk, d in res if not ok and not sk]
        note = ""
        if rc == 4 and not res:          # KSFT_SKIP for the whole suite
            sk += 1
            note = " (whole suite skipped)"
        elif rc == 124 or rc == 137:
            bad.append(f"overran its budget of {budget} s, killed after "
                       f"{len(res)} results")
        elif plan is not None and plan != len(res):
            bad.append(f"planned {plan} tests, {len(res)} reported (exit {rc})")
        elif rc != 0 and not bad:
            bad.append(f"exit status {rc}")
        elif not res:
            bad.append("no TAP results")
        suite_line(name, p, len(bad), sk, note)
        for d in bad:
            details.append(f"{name}: {d}")
            details += [f"    {c}" for c in diag.get(d, [])]
        for ok, s, d in res:
            if s:
                skips.append(f"{name}: skipped: {d}")

    # The boots themselves: a hang or crash after the last suite still fails.
    for b in boots:
        brc = read(os.path.join(a.results, f"boot-{b}.rc"), "1")
        if brc != "0":
            suite_line(f"boot {b}", 0, 1, 0, f" (vm.sh exit status {brc})")
            details.append(f"boot {b}: vm.sh exit status {brc} "
                           f"(build/logs/vm-{b}.log)")

    # Kernel log
    suite_line("kernel log (no WARNING/BUG/KASAN/lockdep/kmemleak/DMA-API)",
               0 if a.splats else 1, 1 if a.splats else 0, 0)
    if a.splats:
        details.append("kernel log: splat(s), see above")

    print_times(a, times, boots)

    # Skips first and failures last: CI shows the tail of a long output.
    if skips:
        print("skipped:")
        for d in skips:
            print(f"  {d}")
    if details:
        print("failures:")
        for d in details:
            print(f"  {d}")
    print(f"{passed} passed, {failed} failed, {skipped} skipped")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
