"""Where the 200-token salience kernel's time goes, against this CPU's dense matmul rate.

One jitted value-and-grad (engine_bench's figure (f): 200 tokens of the menu prompt, the last
10 explained) is compiled, costed by XLA (`cost_analysis`) and profiled (`jax.profiler`, XLA's
per-thunk trace). Each compiled HLO instruction's time is put in a class: matrix products
(a dot, alone or fused), elementwise / reduction fusions, copies and transposes, other. Also
timed in the same run, taking turns: the dense matmul rate (1024^3, as engine_bench) and the
rate of the feed-forward's product (M x 640 x 2048) for M = 224 rows (this length's bucket) up
to 2,048. Wall and CPU seconds both: on a shared machine CPU time is the steadier figure.

Usage: .venv/bin/python benchmarks/kernel_profile.py [--repeats 5] [--json out.json]
"""

from __future__ import annotations

import argparse
import collections
import glob
import os
import re
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

os.environ.setdefault("XLA_FLAGS", "")
os.environ["XLA_FLAGS"] += " --xla_cpu_enable_xprof_traceme=true"

from bench_report import machine_facts, print_report
from engine_bench import load
from scaling_bench import repeated_menu

LENGTH, SPAN = 200, 10


def turns(calls: dict[str, Callable[[], Any]], repeats: int) -> dict[str, float]:
    """Median wall seconds of each call, and (`<name>_cpu`) median CPU seconds of this
    process, the calls taking turns (one warm-up each). CPU time leaves out the time other
    processes hold the cores, which on a shared machine is most of the wall time."""
    times: dict[str, list[float]] = {name: [] for name in calls}
    cpu: dict[str, list[float]] = {name: [] for name in calls}
    for fn in calls.values():
        fn()
    for _ in range(repeats):
        for name, fn in calls.items():
            start, start_cpu = time.perf_counter(), time.process_time()
            fn()
            times[name].append(time.perf_counter() - start)
            cpu[name].append(time.process_time() - start_cpu)
    out = {name: statistics.median(seconds) for name, seconds in times.items()}
    out.update({f"{name}_cpu": statistics.median(seconds) for name, seconds in cpu.items()})
    return out


def instruction_sources(hlo: str) -> dict[str, str]:
    """Each instruction name -> the JAX operation it came from (its `op_name`, digits as N),
    with the last two parts of the path: e.g. `transpose(jvp(query))/btd,ndh->btnh`."""
    sources = {}
    for match in re.finditer(
        r"^\s*(?:ROOT )?%?([\w.\-]+) = [^\n]*?op_name=\"([^\"]*)\"", hlo, re.M
    ):
        path = re.sub(r"\d+", "N", match.group(2)).split("/")
        sources[match.group(1)] = "/".join(path[-2:])
    return sources


def instruction_classes(hlo: str) -> dict[str, str]:
    """Each instruction name of the compiled module -> its class, from the HLO text."""
    computations: dict[str, str] = {}
    for match in re.finditer(r"^%?(\S+) [^\n]*\{\n(.*?)\n\}", hlo, re.S | re.M):
        computations[match.group(1)] = match.group(2)
    classes = {}
    for match in re.finditer(r"^\s*(?:ROOT )?%?([\w.\-]+) = .*? (\w[\w-]*)\((.*)$", hlo, re.M):
        name, opcode, rest = match.groups()
        called = re.findall(r"calls=%?([\w.\-]+)", rest)
        body = " ".join(computations.get(c, "") for c in called)
        if opcode in ("dot", "convolution") or re.search(r"\b(dot|convolution)\(", body):
            classes[name] = "matmul"
        elif opcode in ("copy", "transpose") or (
            opcode == "fusion"
            and re.search(r"\b(copy|transpose)\(", body)
            and "reduce(" not in body
        ):
            classes[name] = "copy/transpose"
        elif opcode == "fusion" or opcode in ("reduce", "add", "multiply", "exponential"):
            classes[name] = "elementwise/reduce"
        else:
            classes[name] = f"other ({opcode})"
    return classes


def profile(fn: Callable[[], Any], calls: int) -> dict[str, float]:
    """Seconds per call in each compiled instruction (XLA's per-thunk trace events): the
    least over `calls` calls, so that a thunk that lost its core to another process counts
    at the speed it runs when it has one."""
    import jax
    from jax.profiler import ProfileData

    with tempfile.TemporaryDirectory() as folder:
        with jax.profiler.trace(folder):
            for _ in range(calls):
                fn()
        path = sorted(glob.glob(f"{folder}/**/*.xplane.pb", recursive=True))[-1]
        data = ProfileData.from_file(path)
    durations: dict[str, list[float]] = collections.defaultdict(list)
    for plane in data.planes:
        for line in plane.lines:
            if not line.name.startswith("tf_XLA"):
                continue
            for event in line.events:
                if not event.name.startswith(("end:", "Thunk", "Threadpool", "Slinky")):
                    durations[event.name].append(event.duration_ns / 1e9)
    # An instruction runs once per call (no loops in this program): the least of its runs.
    return {name: min(seconds) for name, seconds in durations.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--json", type=Path)
    parser.add_argument("--hlo", type=Path, help="write the compiled HLO here")
    args = parser.parse_args()

    import jax
    import jax.numpy as jnp

    from prompt_salience.salience.objective import SpanObjective, _compiled_for

    model = load()
    report: dict[str, Any] = machine_facts()
    objective = SpanObjective(model, repeated_menu(model, LENGTH), LENGTH - SPAN, LENGTH)
    fns = _compiled_for(model)
    inputs = (objective.weights, objective.embeddings, objective.mask, *objective._span_args)
    compiled = fns.value_and_grad.lower(*inputs).compile()
    cost = compiled.cost_analysis()
    cost = cost[0] if isinstance(cost, list) else cost
    flops = float(cost.get("flops", 0.0))
    report["salience_200_gflop"] = flops / 1e9
    report["salience_200_bytes_accessed_gb"] = float(cost.get("bytes accessed", 0.0)) / 1e9

    def salience() -> None:
        jax.block_until_ready(compiled(*inputs))

    square = jnp.ones((1024, 1024), jnp.float32) * 0.5
    matmul = jax.jit(lambda x: x @ x)
    weight = jnp.ones((640, 2048), jnp.float32) * 0.01
    layer_product = jax.jit(lambda x, w: x @ w)
    rows = {m: jnp.ones((m, 640), jnp.float32) for m in (objective.mask.shape[0], 448, 896, 2048)}
    calls: dict[str, Callable[[], Any]] = {
        "salience": salience,
        "matmul": lambda: jax.block_until_ready(matmul(square)),
    }
    for m, x in rows.items():
        calls[f"product_{m}"] = lambda x=x: jax.block_until_ready(layer_product(x, weight))
    timing = turns(calls, args.repeats)
    for clock in ("", "_cpu"):  # wall seconds, then CPU seconds
        matmul_rate = 2 * 1024**3 / timing[f"matmul{clock}"]
        rate = flops / timing[f"salience{clock}"]
        report[f"salience_200{clock}_s"] = timing[f"salience{clock}"]
        report[f"salience_200{clock}_gflops_per_s"] = rate / 1e9
        report[f"matmul_1024{clock}_gflops_per_s"] = matmul_rate / 1e9
        report[f"salience{clock}_fraction_of_matmul_rate"] = rate / matmul_rate
        for m in rows:
            product_rate = 2 * m * 640 * 2048 / timing[f"product_{m}{clock}"]
            report[f"product_{m}x640x2048{clock}_vs_matmul_1024"] = product_rate / matmul_rate
        first = next(iter(rows))
        product_rate = 2 * first * 640 * 2048 / timing[f"product_{first}{clock}"]
        report[f"salience{clock}_fraction_of_product_{first}_rate"] = rate / product_rate
    matmul_rate = 2 * 1024**3 / timing["matmul"]

    per_instruction = profile(salience, args.repeats)
    classes = instruction_classes(compiled.as_text())
    by_class: collections.Counter[str] = collections.Counter()
    for name, seconds in per_instruction.items():
        by_class[classes.get(name, classes.get(name.split(":")[0], "unmatched"))] += seconds
    traced = sum(by_class.values())
    report["thunk_seconds_per_call_least"] = traced
    report["thunk_seconds_vs_wall"] = traced / timing["salience"]
    for name, seconds in by_class.most_common():
        report[f"share_{name}"] = seconds / traced
    # Nearly all FLOPs are in the products: their thunks' rate against the matmul rate.
    report["matmul_thunks_gflops_per_s"] = flops / by_class["matmul"] / 1e9
    report["matmul_thunks_vs_matmul_1024"] = flops / by_class["matmul"] / matmul_rate
    if args.hlo is not None:
        args.hlo.write_text(compiled.as_text())
    top = sorted(per_instruction.items(), key=lambda item: -item[1])[:12]
    sources = instruction_sources(compiled.as_text())
    copies: collections.Counter[str] = collections.Counter()
    for name, seconds in per_instruction.items():
        if classes.get(name) == "copy/transpose":
            copies[sources.get(name, "?")] += seconds
    report["copy_seconds_per_call"] = sum(copies.values())
    for source, seconds in copies.most_common(8):
        report[f"copy_from {source}"] = seconds / sum(copies.values())
    report["load_average_1m_at_end"] = os.getloadavg()[0]
    print_report(report, args.json)
    print("slowest instructions (ms per call):")
    for name, seconds in top:
        print(f"  {seconds * 1e3:8.1f}  {name}  {classes.get(name, '?')}")


if __name__ == "__main__":
    main()
