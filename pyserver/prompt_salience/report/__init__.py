"""Reports of salience results: terminal heatmaps, a self-contained HTML page, JSON."""

from prompt_salience.report.html import ReportItem, html_report, write_html_report
from prompt_salience.report.json_export import (
    NonFiniteScoreError,
    result_to_json,
    results_to_json,
)
from prompt_salience.report.terminal import print_top_segments, render_heatmap

__all__ = [
    "NonFiniteScoreError",
    "ReportItem",
    "html_report",
    "print_top_segments",
    "render_heatmap",
    "result_to_json",
    "results_to_json",
    "write_html_report",
]
