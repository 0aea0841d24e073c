"""Everything the server says beyond plain LSP: command names, custom messages, settings.

docs/protocol.md documents this file for the TypeScript side, which mirrors it. Fields are
snake_case here and camelCase on the wire (lsprotocol's converter renames them both ways).

Offsets into the response text (`TextSpan`, the `start`/`end` arguments) count units of the
session's position encoding (UTF-16 code units unless the client negotiated another), exactly
like the `character` of an LSP Position: a JavaScript string index, for the extension.
Ranges in the prompt document are ordinary LSP Ranges.
"""

from __future__ import annotations

from typing import Any

import attrs
from lsprotocol.types import Range

from ..settings import Settings

# -- workspace/executeCommand commands (each takes ONE argument: the params object below) -----
RUN_COMMAND = "promptSalience.run"  # CaseParams -> ExplanationResult
EXPLAIN_SPAN_COMMAND = "promptSalience.explainSpan"  # ExplainSpanParams -> ExplanationResult
SET_VIEW_COMMAND = "promptSalience.setView"  # SetViewParams -> ExplanationResult
SHOW_RESPONSE_COMMAND = "promptSalience.showResponse"  # CaseParams -> None (window/showMessage)
CANCEL_COMMAND = "promptSalience.cancel"  # CaseParams -> None
PIN_COMMAND = "promptSalience.pin"  # CaseParams -> ExplanationResult (now pinned)
UNPIN_COMMAND = "promptSalience.unpin"  # CaseParams -> bool (whether a pin was removed)
COMPARE_COMMAND = "promptSalience.compare"  # CompareParams -> ComparisonReport
TEST_COMMAND = "promptSalience.test"  # CaseParams -> TestReport (no case: each with `expect:`)
COMMANDS = (
    RUN_COMMAND,
    EXPLAIN_SPAN_COMMAND,
    SET_VIEW_COMMAND,
    SHOW_RESPONSE_COMMAND,
    CANCEL_COMMAND,
    PIN_COMMAND,
    UNPIN_COMMAND,
    TEST_COMMAND,
    COMPARE_COMMAND,
)

# -- custom requests (client -> server) and notifications (server -> client) -----------------
RESULT_REQUEST = "promptSalience/result"  # CaseParams -> ExplanationResult | null (no model)
REPORT_REQUEST = "promptSalience/report"  # CaseParams -> HtmlReport | null (no model)
# CaseParams -> HtmlReport | null: the case's last comparison as a self-contained page (no model)
COMPARISON_REPORT_REQUEST = "promptSalience/comparisonReport"
CHOICES_REQUEST = "promptSalience/choices"  # null or {} -> Choices
RESULT_CHANGED_NOTIFICATION = "promptSalience/resultChanged"  # ResultChangedParams
MODEL_STATE_NOTIFICATION = "promptSalience/modelState"  # ModelStateParams
MODELS_REQUEST = "promptSalience/models"  # ModelsParams -> ModelList (the model picker's list)
MODEL_FOLDER_REQUEST = "promptSalience/checkModelFolder"  # ModelFolderParams -> ModelChoice
MODEL_EDIT_REQUEST = "promptSalience/modelEdit"  # ModelEditParams -> WorkspaceEdit
# client -> server, {"trusted": bool}: the workspace's trust changed (the initialization option
# `trusted` gives it at start). Untrusted, files' front-matter `model:` is ignored (trust.py).
TRUST_NOTIFICATION = "promptSalience/trust"

# LSP 3.17's RequestFailed: the work failed for a reason the user can fix (already shown to the
# user with window/showMessage, so clients need not show it again), unless its error `data`
# says which fix the editor offers ({"kind": KAGGLE_CREDENTIALS}: not shown, the client shows it
# with a button that sets them).
REQUEST_FAILED = -32803
KAGGLE_CREDENTIALS = "kaggleCredentials"  # an error kind: Kaggle credentials missing or refused

SETTINGS_SECTION = "promptSalience"


# User settings (`initializationOptions`, `workspace/didChangeConfiguration`): either the
# object itself or `{"promptSalience": {...}}`, keys as package.json declares them (camelCase).
# Declared once, with defaults, in `prompt_salience.settings`; read by `settings.read_settings`.
ServerSettings = Settings


@attrs.define
class CaseParams:
    """Which case of which open document. `case` None = the last one run or explained, else the
    first. `version`, when given, must be the document's current version (else ContentModified).
    `work_done_token`: a client-created progress token for this work (else the server creates
    one when the client supports `window/workDoneProgress`)."""

    uri: str
    case: str | None = None
    version: int | None = None
    work_done_token: int | str | None = None


@attrs.define
class ExplainSpanParams(CaseParams):
    """The span of the response to explain, by exactly one of: `start`/`end` (response offsets
    in position-encoding units), `line` or `sentence` (0-based index among the response's
    non-blank lines / sentences), `explain` (text to find, or `/regex/`, as in front-matter)."""

    start: int | None = None
    end: int | None = None
    line: int | None = None
    sentence: int | None = None
    explain: str | None = None


@attrs.define
class CompareParams(CaseParams):
    """Compare the case's current result with its baseline (pinned, else the last removed), or,
    when `other_uri` and/or `other_case` are given, with that open document's case's current
    result (`other_uri` default: this document; `other_case` default: the same case name)."""

    other_uri: str | None = None
    other_case: str | None = None


@attrs.define
class SetViewParams(CaseParams):
    """Explain the same span again with another method and/or granularity (no new generation)."""

    method: str | None = None
    granularity: str | None = None


@attrs.define
class TextSpan:
    """[start, end) in the response, in position-encoding units."""

    start: int
    end: int


@attrs.define
class LensSpan:
    """A response span the response view offers as a CodeLens, in position-encoding units.
    `kind`: "line" (each non-blank line) or "sentence" (each sentence of a line that holds
    more than one). The server prefetches exactly these, so a click on one is answered fast."""

    start: int
    end: int
    kind: str  # "line" | "sentence"


@attrs.define
class LegendEntry:
    """One colour bucket: scores in [low, high] are drawn in `colour` (`#rrggbbaa`; None = no
    colour), or in the editor's theme colour `theme_colour` when given (at the default
    intensity, so a user's theme overrides apply). Decided by `report.colour_scale`."""

    bucket: int
    label: str
    colour: str | None
    low: float
    high: float
    theme_colour: str | None


@attrs.define
class ColourScaleInfo:
    """The colour scale of one result, as `report.colour_scale` applied it. Clients draw each
    `SegmentScore.bucket` with the legend's colours; they never compute a bucket."""

    signed: bool
    scale: float
    steps: int
    intensity: float
    zero_fraction: float
    caption: str
    legend: list[LegendEntry]


@attrs.define
class SegmentScore:
    """One segment of prompt + response. `ranges`: where it stands in the prompt document
    (template text and front-matter values; several when it spans both; empty for response
    segments and text that maps to no file character). `response_span`: where it stands in the
    response (None for prompt segments). `rank` 1 = most salient (None for a zero score);
    `share`: |score| / sum of |scores|."""

    index: int
    text: str
    score: float
    rank: int | None
    share: float
    bucket: int
    ranges: list[Range]
    response_span: TextSpan | None


@attrs.define
class Rescore:
    """This result forced an earlier response (the pinned one, else the last one an edit
    removed) as the target under the current prompt: no generation. Log-probabilities are of
    the explained span, in nats; `delta_logprob` < 0: the old answer is now less likely."""

    pinned: bool
    before_logprob: float
    logprob: float
    delta_logprob: float
    summary: str  # e.g. "log p(pinned answer) -1.5 → -5.3 (43x less likely)"


@attrs.define
class ResultNotice:
    """A sentence shown with a result, written by the server (`report.layout.result_notices`),
    e.g. how complete integrated gradients' scores are; `warning`: drawn as a warning."""

    text: str
    warning: bool


@attrs.define
class ExplanationResult:
    """The salience of one case for one span of its response, tied to document `version`."""

    uri: str
    version: int
    case: str
    model: str
    method: str
    granularity: str
    signed: bool
    response: str
    response_is_generated: bool
    response_tokens: list[TextSpan]
    lens_spans: list[LensSpan]  # lines first, then sentences; see `result_view.lens_pieces`
    span: TextSpan
    span_text: str
    scale: ColourScaleInfo
    segments: list[SegmentScore]
    notes: dict[str, float]
    notices: list[ResultNotice]  # sentences to show with the result, in order
    span_logprob: float | None  # log p(explained span | everything before it), nats
    pinned: bool  # the case has a pinned baseline (see promptSalience.pin)
    rescore: Rescore | None  # set when this result is a re-score, not a new generation


@attrs.define
class ComparedSegment:
    """A prompt segment before (the baseline's prompt) and after (the current one), aligned by
    a diff of segment texts. `ranges`: where the current segment stands in the document (none
    for a `removed` one). Shares are |score| over the side's total; `share_change` only for
    `same` segments."""

    status: str  # "same" | "changed" | "added" | "removed"
    before_text: str | None
    after_text: str | None
    before_score: float | None
    after_score: float | None
    share_change: float | None
    bucket: int  # in the comparison's difference map (0 unless `same` and changed enough)
    ranges: list[Range]


@attrs.define
class ComparisonReport:
    """The case's current result compared with its baseline (pinned, else the last removed):
    each answer's log p under each prompt (no generation), and the segments aligned."""

    uri: str
    version: int
    case: str
    pinned: bool
    against: str  # what "before" is: "the pinned answer", or e.g. "case `x` of menu.prompt"
    before_response: str
    after_response: str
    # log p (nats) of each answer's explained span: under the baseline's prompt, and now.
    before_answer_before: float
    before_answer_now: float
    after_answer_before: float
    after_answer_now: float
    summary: list[str]  # the two changes in words
    segments: list[ComparedSegment]
    scale: ColourScaleInfo  # the difference map: shares gained (positive) or lost, its legend


@attrs.define
class CaseVerdict:
    """One tested case: whether its response met its `expect:` items, and why (the failures'
    reasons, else what held). A failing case's offending span is explained: its result is the
    case's current result (`promptSalience/result`)."""

    case: str
    passed: bool
    reason: str
    response: str
    offending_text: str | None


@attrs.define
class TestReport:
    """The cases a `promptSalience.test` ran, in file order, for document `version`."""

    uri: str
    version: int
    cases: list[CaseVerdict]


@attrs.define
class ResultChangedParams:
    """A case's result appeared, changed, or was dropped (`available` False) — e.g. an edit
    touched the text it was computed on. Fetch it with `promptSalience/result`."""

    uri: str
    version: int
    case: str
    available: bool
    # "computed" | "explained" | "moved" (an edit moved its ranges; `version` is the new one) |
    # "restyled" (its colours changed with a setting) | "rescored" (a re-score after an edit:
    # the baseline response forced under the edited prompt) | "pinned" | "dropped" | "closed"
    reason: str


MODEL_STATES = ("loading", "ready", "failed", "cancelled", "idle")


@attrs.define
class ModelStateParams:
    """The model's state, as the status bar shows it: decided, and worded, by the server.

    `state` is one of MODEL_STATES ("idle": none is loaded or loading). `model` is the model's
    label ("" when idle); `text` the few words to show (e.g. "loading gemma3_270m…"); `detail`
    a sentence or two for the tooltip: what happens, or the reason and its fix. `device` ("CPU"
    or the accelerator's name) once loaded, else ""; `precision` the weights' dtype ("" when
    idle); `error_kind` says which fix the editor offers for a failure (KAGGLE_CREDENTIALS), or
    ""."""

    state: str
    model: str
    text: str
    detail: str
    # No defaults: the converter leaves out fields equal to their default, and clients read all.
    device: str
    precision: str
    error_kind: str


@attrs.define
class HtmlReport:
    """The engine's self-contained HTML report of a case's current result, ready to save."""

    html: str
    file_name: str  # a suggested name, e.g. "menu-fewshot-mistake.quiche-lorraine.salience.html"


@attrs.define
class MethodChoice:
    """A salience method the server offers. `cost`: a short phrase, e.g. "16 backward passes"."""

    name: str
    label: str
    description: str
    signed: bool
    cost: str


@attrs.define
class GranularityChoice:
    """A granularity the server offers. `regex:<separator>` is the one parametrised form: the
    client asks for the separator and sends `regex:` followed by it."""

    name: str
    label: str
    description: str


@attrs.define
class Choices:
    """What the pickers list, in display order (from the server's registries)."""

    methods: list[MethodChoice]
    granularities: list[GranularityChoice]


@attrs.define
class ModelsParams:
    """The model picker's request; `uri`: the document whose front-matter `model:` to report."""

    uri: str | None = None


@attrs.define
class ModelChoice:
    """A model the picker lists. `model` is what the setting or the front-matter holds; `kind`
    "embedded", "kaggle" or "local"; `available`: it loads without anything more (a Kaggle
    preset: credentials are present); `note` says what it needs, in words."""

    model: str
    kind: str
    label: str
    description: str
    available: bool
    note: str


@attrs.define
class ModelList:
    """The picker's list (the embedded model first, then the presets, then preset folders), the
    user settings' model, the file's front-matter `model:` (None: none, or ignored because the
    workspace is untrusted), whether the file may choose its model, and whether Kaggle
    credentials are present."""

    models: list[ModelChoice]
    current: str
    file_model: str | None
    file_may_choose: bool
    credentials: bool


@attrs.define
class ModelFolderParams:
    path: str


@attrs.define
class ModelEditParams:
    """Set `model: <model>` in the front-matter of document `uri` (added when absent)."""

    uri: str
    model: str


# -- JSON-RPC message classes, so pygls structures the params above (see rpc.py) --------------


def request_type(method: str, params: type[Any] | None) -> type[Any]:
    """The JSON-RPC request class of custom request `method` whose params are `params` (None:
    no params), as lsprotocol declares its own requests."""
    fields = {
        "id": attrs.field(type=int | str),  # type: ignore[arg-type]  # a union, as lsprotocol's
        "params": (
            attrs.field(type=params) if params is not None else attrs.field(type=None, default=None)
        ),
        "method": attrs.field(type=str, default=method),
        "jsonrpc": attrs.field(type=str, default="2.0"),
    }
    name = method.rsplit("/", 1)[-1]
    return attrs.make_class(f"{name[0].upper()}{name[1:]}Request", fields)


MESSAGE_TYPES: dict[str, type[Any]] = {
    RESULT_REQUEST: request_type(RESULT_REQUEST, CaseParams),
    COMPARISON_REPORT_REQUEST: request_type(COMPARISON_REPORT_REQUEST, CaseParams),
    REPORT_REQUEST: request_type(REPORT_REQUEST, CaseParams),
    MODELS_REQUEST: request_type(MODELS_REQUEST, ModelsParams),
    MODEL_FOLDER_REQUEST: request_type(MODEL_FOLDER_REQUEST, ModelFolderParams),
    MODEL_EDIT_REQUEST: request_type(MODEL_EDIT_REQUEST, ModelEditParams),
}
