"""What the benchmark scripts share: timing a call, and printing (and saving) their figures."""

from __future__ import annotations

import datetime
import json
import os
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any


def timed(fn: Callable[[], Any]) -> float:
    """Seconds `fn()` took."""
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def print_report(report: dict[str, Any], json_path: Path | None) -> None:
    """One aligned line per figure (floats to 3 places, lists of floats in a row), and the
    report as JSON at `json_path` when given."""
    width = max(len(k) for k in report)
    for key, value in report.items():
        if isinstance(value, list):
            shown = " ".join(f"{v:.3f}" for v in value)
        else:
            shown = f"{value:.3f}" if isinstance(value, float) else str(value)
        print(f"{key:<{width}}  {shown}")
    if json_path is not None:
        json_path.parent.mkdir(parents=True, exist_ok=True)
        json_path.write_text(json.dumps(report, indent=1))


def machine_facts() -> dict[str, Any]:
    """When and where the figures were taken (JAX already imported by the caller)."""
    import jax

    return {
        "when_utc": datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%d %H:%M"),
        "jax": jax.__version__,
        "device": str(jax.devices()[0]),
        "cpus": os.cpu_count(),
        "load_average_1m": os.getloadavg()[0],
    }
