"""`prompt-salience compare A.prompt [B.prompt]`: run two prompts (two files, or two cases of one
file) on one model, and show how the answer, its likelihood and the salience changed.

Every check that needs no model (files, cases, same model and method) runs before the model
loads: a mistake costs no load.
"""

from __future__ import annotations

import argparse
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from rich.console import Console

from ..engine.case_run import CaseRun, PreparedPrompt, RunSettings, prepare_prompt, refuse_oversize
from ..engine.comparison import check_comparable_settings
from ..errors import PromptSalienceError
from ..models.model_spec import parse_model_spec
from ..prompt.parsed_prompt import PromptFile
from ..settings import declared_settings
from .common import (
    add_file_flags,
    add_setting_flags,
    load_explainer,
    report_status,
    runnable,
    validate,
    write_text,
)


@dataclass(frozen=True)
class _Side:
    """One side of the comparison, ready for the model."""

    path: str
    document: PromptFile
    prepared: PreparedPrompt
    settings: RunSettings

    def line_of(self, offset: int) -> int | None:
        """The 1-based line of the file that prompt character `offset` came from."""
        from ..prompt.line_index import line_column

        offsets = self.prepared.source_map.file_offsets
        if not 0 <= offset < len(offsets) or offsets[offset] < 0:
            return None  # e.g. the chat template's turn markers
        return line_column(self.document.text, offsets[offset])[0]

    @property
    def label(self) -> str:
        return f"{self.path} · case {self.prepared.case_name}"


def add_parser(sub: Any) -> None:
    compare = sub.add_parser(
        "compare",
        help="compare two prompts: the answers, how likely each is under the other, the salience",
    )
    compare.add_argument("file_a", metavar="A", help="a .prompt file (or .jsonl dataset)")
    compare.add_argument(
        "file_b", metavar="B", nargs="?", help="a second file (default: A, with --case-b)"
    )
    compare.add_argument("--case", help="this case on both sides (two files)")
    compare.add_argument("--case-a", help="A's case (default: the first)")
    compare.add_argument("--case-b", help="B's case (default: the case named as A's, if any)")
    add_setting_flags(compare)
    compare.add_argument("--json", type=Path, metavar="OUT", help="write the comparison as JSON")
    compare.add_argument(
        "--html", type=Path, metavar="OUT", help="write a self-contained HTML page"
    )
    add_file_flags(compare, "compare", "shared segments listed that gained / lost most share")
    compare.set_defaults(handler=handle)


def handle(args: argparse.Namespace, out: Console, err: Console) -> int:
    from ..prompt.documents import read_document

    document_a = runnable(read_document(args.file_a), args.allow_warnings, err)
    same_file = args.file_b is None
    document_b = (
        document_a if same_file else runnable(read_document(args.file_b), args.allow_warnings, err)
    )
    case_a, case_b = _case_names(args, document_a, document_b, same_file)
    flags = {s.name: getattr(args, s.name) for s in declared_settings() if s.cli_flag}
    sides = []
    for path, document, case in (
        (args.file_a, document_a, case_a),
        (args.file_a if same_file else args.file_b, document_b, case_b),
    ):
        settings = RunSettings().merged_with(document.settings, flags)
        validate(settings)
        spec = parse_model_spec(settings.model)
        prepared = prepare_prompt(document, case, chat_setting=settings.chat_template, spec=spec)
        refuse_oversize(  # before the model loads
            prepared, max_new_tokens=settings.max_new_tokens, max_length=settings.max_length
        )
        sides.append(_Side(str(path), document, prepared, settings))
    side_a, side_b = sides
    check_comparable_settings(side_a.settings, side_b.settings)

    from ..engine.case_run import run_case
    from ..engine.comparison import compare_runs

    explainer = load_explainer(side_a.settings, err)
    with report_status(err) as status:
        status.update(f"Running A: {side_a.label}")
        run_a = run_case(explainer, side_a.prepared, side_a.settings)
        status.update(f"Running B: {side_b.label}")
        run_b = run_case(explainer, side_b.prepared, side_b.settings)
        status.update("Scoring each answer after the other prompt")
        comparison = compare_runs(
            explainer, run_a, run_b, a_label=side_a.label, b_label=side_b.label
        )

    from ..report.comparison_terminal import render_comparison

    render_comparison(comparison, out, top=args.top, lines=(side_a.line_of, side_b.line_of))
    if args.json is not None:
        from ..report.json_export import comparison_to_json

        payload = comparison_to_json(
            comparison,
            source_maps=(_source_map_json(run_a), _source_map_json(run_b)),
            extras=(
                {"case": run_a.case_name, "file": side_a.path},
                {"case": run_b.case_name, "file": side_b.path},
            ),
        )
        write_text(args.json, json.dumps(payload, indent=1, ensure_ascii=False, allow_nan=False))
        err.print(f"Wrote {args.json}")
    if args.html is not None:
        from ..report.comparison_html import write_comparison_html
        from .common import write_error

        title = f"Comparing {Path(side_a.path).name} and {Path(side_b.path).name}"
        try:
            write_comparison_html(
                comparison,
                args.html,
                title=title,
                intensity=side_a.settings.intensity,
                top=args.top,
            )
        except OSError as error:
            raise write_error(args.html, error) from error
        err.print(f"Wrote {args.html}")
    return 0


def _source_map_json(run: CaseRun) -> dict[str, Any] | None:
    source_map = run.generation.source_map
    return None if source_map is None else source_map.to_json()


def _case_names(
    args: argparse.Namespace, document_a: PromptFile, document_b: PromptFile, same_file: bool
) -> tuple[str, str]:
    """The case on each side, checked to exist (the error names the cases that do)."""
    if args.case is not None and (args.case_a is not None or args.case_b is not None):
        raise PromptSalienceError(
            "--case names the case on both sides; --case-a / --case-b name one side each.",
            "Use either --case, or --case-a and --case-b.",
        )
    if same_file:
        if args.case_b is None:
            raise PromptSalienceError(
                "Comparing one file needs two of its cases.",
                "Give B's case with --case-b (and A's with --case-a), or a second file.",
            )
        a = document_a.case(args.case_a).name
        b = document_b.case(args.case_b).name
        if a == b:
            raise PromptSalienceError(
                f"A and B are the same case, {a!r}, of the same file.",
                "Pick another case with --case-a or --case-b, or give a second file.",
            )
        return a, b
    a = document_a.case(args.case if args.case is not None else args.case_a).name
    wanted = args.case if args.case is not None else args.case_b
    if wanted is None:
        has_same_name = any(c.name == a for c in document_b.cases)
        if not has_same_name and len(document_b.cases) > 1:
            names = ", ".join(f"`{c.name}`" for c in document_b.cases)
            raise PromptSalienceError(
                f"B has no case named {a!r} (cases: {names}).",
                "Pick B's case with --case-b.",
                path=document_b.path,
            )
        wanted = a if has_same_name else None
    return a, document_b.case(wanted).name
