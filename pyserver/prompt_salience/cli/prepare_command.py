"""`prompt-salience prepare`: convert the embedded model into the cache now (once)."""

from __future__ import annotations

import argparse
from typing import Any

from rich.console import Console

from ..cache_dir import cache_root
from .common import add_setting_flags, report_status


def add_parser(sub: Any) -> None:
    prepare = sub.add_parser("prepare", help="convert the embedded model into the cache (once)")
    add_setting_flags(prepare, only=("cache_dir",))
    prepare.set_defaults(handler=handle)


def handle(args: argparse.Namespace, out: Console, err: Console) -> int:
    from ..models.embedded import ensure_embedded_preset

    with report_status(err) as status:
        path = ensure_embedded_preset(cache_root(args.cache_dir), lambda m: status.update(m))
    err.print(f"Embedded model ready: {path}")
    return 0
