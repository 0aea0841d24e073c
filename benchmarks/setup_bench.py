"""What a fresh checkout's `scripts/demo.sh` spends its time on, before and after the demo
stopped installing the end-to-end tools (issue 11), in one sitting.

Each side is a `git clone` of this repository at a revision into /tmp (no .venv, no .tools/, no
node_modules/), whose demo runs with pip's and npm's caches as they are. With
`--fresh-model-cache` the embedded model is converted again into an empty cache folder
(PROMPT_SALIENCE_CACHE), as on a fresh machine. Every command of our scripts is traced with a
timestamp and its script's process id (BASH_ENV turns on xtrace, with both in PS4, and an EXIT
trap marks each script's end); a command's time runs to the next line of the same script, so
scripts that run side by side (the Node part beside the Python install) overlap, and the phases
(which group the commands by what they install) may sum to more than the wall time.

What it cannot do: reset the machine. Debian's chromium, libkrb5-dev and pkg-config are
installed here already, so the baseline's apt-get step costs nothing; on a fresh machine it
would cost more, and the ratio would be lower.

    .venv/bin/python benchmarks/setup_bench.py --baseline 788f5a2 --new HEAD --fresh-model-cache \
        --json docs/benchmarks/setup-fresh-clone.json | tee docs/benchmarks/setup-fresh-clone.txt
"""

from __future__ import annotations

import argparse
import datetime
import itertools
import json
import os
import re
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TRACE = re.compile(r"^\++(\d+\.\d+) (\d+) (.*)$")  # +TIME PID COMMAND
EXIT = "<exit>"  # the line the EXIT trap writes when a script ends
# Lines that only run another of our scripts: its own lines are counted instead.
CONTAINER = re.compile(r"^scripts/\S+\.sh|<exit>")
# The first pattern that matches a traced command names its phase.
PHASES = [
    ("debian packages (apt-get)", r"apt-get"),
    ("code-server", r"code-server"),
    ("node 24", r"\.tools/node24"),
    ("npm ci", r"npm ci"),
    ("bundle, wheel, .vsix", r"esbuild|pip wheel|vsce|light_requirements\.py \S+ --out dist"),
    ("python env (venv, pip)", r"-m venv|pip install|light_requirements"),
    ("model (prepare)", r"prompt-salience prepare"),
    ("demo run (explain the menu prompt)", r"prompt-salience run"),
    ("waiting for the Node part", r"^wait "),
]


def phase_of(command: str) -> str:
    """The phase a traced command belongs to ('other' for the scripts' own checks)."""
    for name, pattern in PHASES:
        if re.search(pattern, command):
            return name
    return "other"


def timed_commands(trace: str) -> list[tuple[float, str]]:
    """(seconds, command) of each traced line: the time until the next line of the same script
    (scripts run side by side have their own clocks), or until that script's end."""
    streams: dict[str, list[tuple[float, str]]] = {}
    for line in trace.splitlines():
        match = TRACE.match(line)
        if match:
            streams.setdefault(match.group(2), []).append((float(match.group(1)), match.group(3)))
    timed = []
    for lines in streams.values():
        for (start, command), (stop, _) in itertools.pairwise(lines):
            if not CONTAINER.search(command):
                timed.append((stop - start, command))
    return timed


def run_side(label: str, rev: str, fresh_model_cache: bool) -> dict[str, object]:
    """Clone at `rev`, run its demo with traces, and return its phases and slowest commands."""
    clone = Path(f"/tmp/fresh-{label}")
    shutil.rmtree(clone, ignore_errors=True)
    subprocess.run(["git", "clone", "-q", str(ROOT), str(clone)], check=True)
    subprocess.run(["git", "-C", str(clone), "checkout", "-q", rev], check=True)
    commit = subprocess.run(
        ["git", "-C", str(clone), "rev-parse", "--short", "HEAD"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout.strip()
    ps4 = clone / ".bench-ps4.sh"
    # Only our scripts are traced, not the bash scripts npm packages run while installing.
    ps4.write_text(
        'case "$0" in scripts/*.sh|*/scripts/*.sh)\n'
        "  PS4='+${EPOCHREALTIME} $$ '; set -x\n"
        f"  trap 'echo \"+$EPOCHREALTIME $$ {EXIT}\" >&2' EXIT;;\n"
        "esac\n"
    )
    env = {**os.environ, "BASH_ENV": str(ps4)}
    cache = None
    if fresh_model_cache:
        cache = tempfile.mkdtemp(prefix=f"ps-cache-{label}-")
        env["PROMPT_SALIENCE_CACHE"] = cache
    start = time.time()
    done = subprocess.run(
        ["scripts/demo.sh"], cwd=clone, env=env, capture_output=True, text=True, check=False
    )
    end = time.time()
    if cache:
        shutil.rmtree(cache, ignore_errors=True)
    if done.returncode != 0:
        raise SystemExit(f"{label}: demo.sh failed ({done.returncode}):\n{done.stderr[-3000:]}")
    commands = timed_commands(done.stderr)
    phases: dict[str, float] = {}
    for seconds, command in commands:
        name = phase_of(command)
        phases[name] = phases.get(name, 0.0) + seconds
    slowest = sorted(commands, reverse=True)[:8]
    return {
        "label": label,
        "commit": commit,
        "total_s": end - start,
        "setup_s": end - start - phases.get("demo run (explain the menu prompt)", 0.0),
        "phases_s": phases,
        "slowest": [[round(s, 1), c[:140]] for s, c in slowest],
        "disk_tools_mb": du_mb(clone / ".tools"),
    }


def du_mb(path: Path) -> float:
    """Size of a folder in MB (0 when missing)."""
    if not path.exists():
        return 0.0
    out = subprocess.run(["du", "-sm", str(path)], capture_output=True, text=True, check=True)
    return float(out.stdout.split()[0])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--baseline", default="788f5a2", help="revision before the split")
    parser.add_argument("--new", default="HEAD", help="revision after it")
    parser.add_argument("--fresh-model-cache", action="store_true")
    parser.add_argument("--json", type=Path)
    parser.add_argument("--keep", action="store_true", help="keep the clones in /tmp")
    parser.add_argument("--new-first", action="store_true", help="run the new side first")
    args = parser.parse_args()
    load_before = os.getloadavg()[0]
    order = [("baseline", args.baseline), ("new", args.new)]
    if args.new_first:
        order.reverse()
    ran = {label: run_side(label, rev, args.fresh_model_cache) for label, rev in order}
    sides = [ran["baseline"], ran["new"]]
    base, new = sides
    print(f"when (UTC): {datetime.datetime.now(datetime.UTC):%Y-%m-%d %H:%M}")
    print(f"cpus: {os.cpu_count()}  load average (1 min) before: {load_before:.2f}")
    print(f"load average (1 min) after: {os.getloadavg()[0]:.2f}")
    print(f"model cache: {'fresh (converted in each run)' if args.fresh_model_cache else 'kept'}")
    print(f"order: {' then '.join(label for label, _ in order)}")
    print(f"{'phase':<36} {'baseline s':>11} {'new s':>8}")
    names = [n for n, _ in PHASES] + ["other"]
    for name in names:
        a = float(base["phases_s"].get(name, 0.0))  # type: ignore[attr-defined]
        b = float(new["phases_s"].get(name, 0.0))  # type: ignore[attr-defined]
        print(f"{name:<36} {a:>11.1f} {b:>8.1f}")
    for key in ("setup_s", "total_s"):
        a, b = float(base[key]), float(new[key])  # type: ignore[arg-type]
        print(f"{key:<36} {a:>11.1f} {b:>8.1f}   new/baseline {b / a:.2f}x")
    print(f".tools/ MB: baseline {base['disk_tools_mb']}, new {new['disk_tools_mb']}")
    for side in sides:
        print(f"slowest commands, {side['label']} ({side['commit']}):")
        for seconds, command in side["slowest"]:  # type: ignore[attr-defined]
            print(f"  {seconds:>6.1f}  {command}")
    if args.json:
        args.json.write_text(json.dumps(sides, indent=1))
    if not args.keep:
        for side in sides:
            shutil.rmtree(f"/tmp/fresh-{side['label']}", ignore_errors=True)


if __name__ == "__main__":
    main()
