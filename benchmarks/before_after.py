"""Before and after in one sitting: the user's waits on an older commit and on this tree.

Each round runs, for each tree in alternating order (these machines are noisy, so the order
changes every round and each round's own ratio is printed):
- the main job as the user runs it: `prompt-salience run` on the menu prompt, in a fresh process
  (wall time, imports included);
- the same work in phases, in a fresh process (`main_job_phases.py` against that tree's package):
  imports, model load, first and second generation, first explanation, and another span of the
  same response.

The older tree is a `git worktree` of `--before` (made once under /tmp). Both trees use this
checkout's virtual environment and the same caches; one warm-up round per tree first fills them
(a new cache format converts there, uncounted).

Usage: .venv/bin/python benchmarks/before_after.py --before <rev> [--rounds 3] [--out FILE.json]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
PHASES = Path(__file__).resolve().parent / "main_job_phases.py"
MENU = "prompts/menu-fewshot-mistake.prompt"


def worktree(rev: str) -> Path:
    """A detached worktree of `rev` under /tmp, made once."""
    commit = subprocess.run(
        ["git", "rev-parse", "--short=12", rev],
        cwd=ROOT,
        check=True,
        capture_output=True,
        text=True,
    ).stdout.strip()
    path = Path("/tmp") / f"prompt-salience-{commit}"
    if not (path / "pyserver").is_dir():
        subprocess.run(
            ["git", "worktree", "add", "--detach", str(path), commit],
            cwd=ROOT,
            check=True,
            capture_output=True,
        )
    return path


def _env(tree: Path) -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": str(tree / "pyserver")}


def cli_run(tree: Path) -> float:
    """Wall seconds of `prompt-salience run` on the menu prompt, in a fresh process."""
    out = Path("/tmp") / f"before-after-{tree.name}.json"
    command = [sys.executable, "-m", "prompt_salience", "run", MENU, "--json", str(out)]
    started = time.perf_counter()
    done = subprocess.run(command, cwd=tree, env=_env(tree), capture_output=True, text=True)
    elapsed = time.perf_counter() - started
    if done.returncode != 0:
        raise SystemExit(f"{tree}: run failed\n{done.stderr[-2000:]}")
    return elapsed


def phases(tree: Path) -> dict[str, Any]:
    done = subprocess.run(
        [sys.executable, str(PHASES)], cwd=tree, env=_env(tree), capture_output=True, text=True
    )
    if done.returncode != 0:
        raise SystemExit(f"{tree}: phases failed\n{done.stderr[-2000:]}")
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def one(tree: Path) -> dict[str, Any]:
    figures = phases(tree)
    figures["cli_run_s"] = cli_run(tree)
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--before", required=True, help="the older commit")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--out", type=Path)
    args = parser.parse_args()
    trees = {"before": worktree(args.before), "after": ROOT}
    for name, tree in trees.items():
        print(f"warm-up {name} ({tree})", flush=True)
        one(tree)
    rounds: list[dict[str, dict[str, Any]]] = []
    for index in range(args.rounds):
        order = list(trees) if index % 2 == 0 else list(reversed(trees))
        measured = {name: one(trees[name]) for name in order}
        rounds.append(measured)
        print(f"round {index + 1} ({' then '.join(order)}):", json.dumps(measured), flush=True)
    keys = [k for k, v in rounds[0]["before"].items() if isinstance(v, float)]
    print(f"\n{'figure (median s)':<28} {'before':>8} {'after':>8} {'ratio':>6}  rounds' ratios")
    summary: dict[str, Any] = {}
    for key in keys:
        before = statistics.median(r["before"][key] for r in rounds)
        after = statistics.median(r["after"][key] for r in rounds if key in r["after"])
        own = [r["after"][key] / r["before"][key] for r in rounds if r["before"][key] > 0]
        summary[key] = {"before": before, "after": after, "ratio": after / before}
        shown = " ".join(f"{x:.2f}" for x in own)
        print(f"{key:<28} {before:8.3f} {after:8.3f} {after / before:6.2f}  {shown}")
    print("load average (1 min):", os.getloadavg()[0])
    if args.out is not None:
        args.out.write_text(json.dumps({"rounds": rounds, "summary": summary}, indent=1))


if __name__ == "__main__":
    main()
