/**
 * The custom protocol between the extension and the Python language server, mirrored from
 * `pyserver/prompt_salience/lsp/protocol.py` (documented in docs/protocol.md). This is the only
 * TypeScript module that knows the wire format: names, shapes, and checked parsing of what the
 * server sends (read with checkedJson.ts). It does not import `vscode`, so `node --test` covers it.
 *
 * Offsets into the response (`TextSpan`, `start`/`end`) are UTF-16 code units, i.e. JavaScript
 * string indices. Ranges in the prompt document are ordinary LSP ranges.
 */

import { array, boolean, integer, number, object, optional, ProtocolError, string } from './checkedJson';
import { type LensSpan, parseLensSpans } from './lensSpans';
import { parseNotes, parseNotices, type ResultNotice } from './resultNotes';

export { ProtocolError } from './checkedJson';
export type { ResultNotice } from './resultNotes';

// -- workspace/executeCommand commands (each takes ONE argument: the params object) ----------
export const RUN_COMMAND = 'promptSalience.run'; // CaseParams -> ExplanationResult
export const EXPLAIN_SPAN_COMMAND = 'promptSalience.explainSpan'; // ExplainSpanParams -> ExplanationResult
export const SET_VIEW_COMMAND = 'promptSalience.setView'; // SetViewParams -> ExplanationResult
export const SHOW_RESPONSE_COMMAND = 'promptSalience.showResponse'; // CaseParams -> null
export const CANCEL_COMMAND = 'promptSalience.cancel'; // CaseParams -> boolean
export const TEST_COMMAND = 'promptSalience.test'; // CaseParams -> TestReport
/** The code of the Warning diagnostic on the line of a case whose last test failed. */
export const EXPECTATION_FAILED = 'expectation-failed';
/** Commands that run on the model (progress, cancellable) and answer an ExplanationResult. */
export const MODEL_COMMANDS: readonly string[] = [RUN_COMMAND, EXPLAIN_SPAN_COMMAND, SET_VIEW_COMMAND];

// -- custom requests (client -> server) and notifications (server -> client) ----------------
export const RESULT_REQUEST = 'promptSalience/result'; // CaseParams -> ExplanationResult | null
export const REPORT_REQUEST = 'promptSalience/report'; // CaseParams -> HtmlReport | null
export const CHOICES_REQUEST = 'promptSalience/choices'; // {} -> Choices
export const RESULT_CHANGED_NOTIFICATION = 'promptSalience/resultChanged'; // ResultChangedParams

/** LSP 3.17 RequestFailed: a problem the server already showed the user (window/showMessage). */
export const REQUEST_FAILED = -32803;
export const REQUEST_CANCELLED = -32800;
export const CONTENT_MODIFIED = -32801;

export const SETTINGS_SECTION = 'promptSalience';
/** The one parametrised granularity: `regex:<separator>` splits where the separator matches. */
export const REGEX_GRANULARITY = 'regex:';

/** Settings sent as `initializationOptions` and with `workspace/didChangeConfiguration`: the
 * `promptSalience.*` keys the manifest declares (camelCase, client-only keys left out), with the
 * values VS Code reports. The server's settings declaration says what each means. */
export type ServerSettings = Record<string, unknown>;

export interface CaseParams {
  uri: string;
  /** null/absent: the case last run or explained, else the first. */
  case?: string | null;
  /** When given, must be the document's current version (else ContentModified). */
  version?: number | null;
  workDoneToken?: number | string | null;
}

/** Exactly one of: start+end (UTF-16 offsets in the response), line, sentence, explain. */
export interface ExplainSpanParams extends CaseParams {
  start?: number;
  end?: number;
  line?: number;
  sentence?: number;
  explain?: string;
}

export interface SetViewParams extends CaseParams {
  method?: string;
  granularity?: string;
}

export interface Position { line: number; character: number }
export interface Range { start: Position; end: Position }
/** [start, end) in the response, UTF-16 code units. */
export interface TextSpan { start: number; end: number }

/** One bucket of the colour scale, as the server decided it: the client paints a bucket with
 * `themeColour` when given (so a user's colour customisations apply), else with `colour`. */
export interface LegendEntry {
  bucket: number;
  label: string;
  /** `#rrggbbaa`, or null for "no colour". */
  colour: string | null;
  /** A VS Code theme colour id (`promptSalience.unsigned3`), or null: paint with `colour`. */
  themeColour: string | null;
  low: number;
  high: number;
}

export interface ColourScaleInfo {
  signed: boolean;
  scale: number;
  steps: number;
  intensity: number;
  zeroFraction: number;
  caption: string;
  legend: LegendEntry[];
}

export interface SegmentScore {
  index: number;
  text: string;
  score: number;
  rank: number | null;
  share: number;
  bucket: number;
  /** Where the segment stands in the prompt document (empty for response segments). */
  ranges: Range[];
  /** Where it stands in the response (null for prompt segments). */
  responseSpan: TextSpan | null;
}

export interface ExplanationResult {
  uri: string;
  version: number;
  case: string;
  model: string;
  method: string;
  granularity: string;
  signed: boolean;
  response: string;
  responseIsGenerated: boolean;
  responseTokens: TextSpan[];
  /** The spans the response view offers as lenses (the server prefetches them), see lensSpans.ts. */
  lensSpans: LensSpan[];
  span: TextSpan;
  spanText: string;
  scale: ColourScaleInfo;
  segments: SegmentScore[];
  notes: Record<string, number>;
  /** Sentences the server wrote to show with the result (see resultNotes.ts). */
  notices: ResultNotice[];
  /** Whether the case has a pinned baseline (promptSalience.pin). */
  pinned: boolean;
  /** Set when this result is a re-score after an edit (the baseline response forced under the
   * edited prompt, no generation): the server's own words for the change. */
  rescore: { summary: string; deltaLogprob: number } | null;
}

export interface ResultChangedParams {
  uri: string;
  /** The document version the result now belongs to. */
  version: number;
  case: string;
  available: boolean;
  /** "computed" | "explained" | "moved" | "restyled" | "dropped" | "closed" */
  reason: string;
}

/** A salience method the server offers, in display order. */
export interface MethodChoice {
  name: string;
  label: string;
  description: string;
  signed: boolean;
  /** A short human phrase: "one backward pass", "one forward pass per segment", ... */
  cost: string;
}

/** A granularity the server offers (`regex:<separator>` is the one parametrised form). */
export interface GranularityChoice {
  name: string;
  label: string;
  description: string;
}

/** What `promptSalience/choices` answers: the pickers list these, the client keeps no list. */
export interface Choices {
  methods: MethodChoice[];
  granularities: GranularityChoice[];
}

// -- parsing ------------------------------------------------------------------------------

function parsePosition(value: unknown, where: string): Position {
  const o = object(value, where);
  return { line: integer(o, 'line', where), character: integer(o, 'character', where) };
}

export function parseRange(value: unknown, where = 'range'): Range {
  const o = object(value, where);
  return { start: parsePosition(o.start, `${where}.start`), end: parsePosition(o.end, `${where}.end`) };
}

export function parseTextSpan(value: unknown, where = 'span'): TextSpan {
  const o = object(value, where);
  const span = { start: integer(o, 'start', where), end: integer(o, 'end', where) };
  if (span.start < 0 || span.end < span.start) {
    throw new ProtocolError(where, '0 <= start <= end', value);
  }
  return span;
}

function parseLegendEntry(value: unknown, where: string): LegendEntry {
  const o = object(value, where);
  return {
    bucket: integer(o, 'bucket', where),
    label: string(o, 'label', where),
    colour: optional(o, 'colour', (x, k) => string(x, k, where)),
    themeColour: optional(o, 'themeColour', (x, k) => string(x, k, where)),
    low: number(o, 'low', where),
    high: number(o, 'high', where),
  };
}

export function parseScale(value: unknown, where: string): ColourScaleInfo {
  const o = object(value, where);
  return {
    signed: boolean(o, 'signed', where),
    scale: number(o, 'scale', where),
    steps: integer(o, 'steps', where),
    intensity: number(o, 'intensity', where),
    zeroFraction: number(o, 'zeroFraction', where),
    caption: string(o, 'caption', where),
    legend: array(o, 'legend', where, parseLegendEntry),
  };
}

function parseSegment(value: unknown, where: string): SegmentScore {
  const o = object(value, where);
  return {
    index: integer(o, 'index', where),
    text: string(o, 'text', where),
    score: number(o, 'score', where),
    rank: optional(o, 'rank', (x, k) => integer(x, k, where)),
    share: o.share === undefined ? 0 : number(o, 'share', where),
    bucket: integer(o, 'bucket', where),
    ranges: o.ranges === undefined ? [] : array(o, 'ranges', where, parseRange),
    responseSpan: optional(o, 'responseSpan', (x, k) => parseTextSpan(x[k], `${where}.${k}`)),
  };
}

function parseRescore(value: unknown, where: string): { summary: string; deltaLogprob: number } {
  const o = object(value, where);
  return { summary: string(o, 'summary', where), deltaLogprob: number(o, 'deltaLogprob', where) };
}

/** An ExplanationResult from the wire, checked; throws ProtocolError naming the bad field. */
export function parseExplanationResult(value: unknown): ExplanationResult {
  const where = 'result';
  const o = object(value, where);
  const response = string(o, 'response', where);
  const result: ExplanationResult = {
    uri: string(o, 'uri', where),
    version: integer(o, 'version', where),
    case: string(o, 'case', where),
    model: string(o, 'model', where),
    method: string(o, 'method', where),
    granularity: string(o, 'granularity', where),
    signed: boolean(o, 'signed', where),
    response,
    responseIsGenerated: o.responseIsGenerated === undefined ? true : boolean(o, 'responseIsGenerated', where),
    responseTokens: o.responseTokens === undefined ? [] : array(o, 'responseTokens', where, parseTextSpan),
    lensSpans: parseLensSpans(o, where, response.length),
    span: parseTextSpan(o.span, `${where}.span`),
    spanText: string(o, 'spanText', where),
    scale: parseScale(o.scale, `${where}.scale`),
    segments: array(o, 'segments', where, parseSegment),
    notes: parseNotes(o.notes, `${where}.notes`),
    notices: parseNotices(o, where),
    pinned: o.pinned === undefined ? false : boolean(o, 'pinned', where),
    rescore: o.rescore === undefined || o.rescore === null ? null : parseRescore(o.rescore, `${where}.rescore`),
  };
  if (result.span.end > response.length) {
    throw new ProtocolError(`${where}.span`, `inside the response (${response.length} units)`, o.span);
  }
  for (const segment of result.segments) {
    const span = segment.responseSpan;
    if (span !== null && span.end > response.length) {
      throw new ProtocolError(`${where}.segments[${segment.index}].responseSpan`, 'inside the response', span);
    }
  }
  return result;
}

/** The engine's self-contained HTML report of a case's current result. */
export interface HtmlReport {
  html: string;
  fileName: string;
}

/** `promptSalience/report` answers a report, or null when the case has no current result. */
export function parseOptionalReport(value: unknown): HtmlReport | null {
  if (value === null || value === undefined) {
    return null;
  }
  const where = 'report';
  const o = object(value, where);
  return { html: string(o, 'html', where), fileName: string(o, 'fileName', where) };
}

/** `promptSalience/result` answers a result, or null when the case has none. */
export function parseOptionalResult(value: unknown): ExplanationResult | null {
  return value === null || value === undefined ? null : parseExplanationResult(value);
}

export function parseResultChanged(value: unknown): ResultChangedParams {
  const where = 'resultChanged';
  const o = object(value, where);
  return {
    uri: string(o, 'uri', where),
    version: integer(o, 'version', where),
    case: string(o, 'case', where),
    available: boolean(o, 'available', where),
    reason: string(o, 'reason', where),
  };
}

function parseMethodChoice(value: unknown, where: string): MethodChoice {
  const o = object(value, where);
  return {
    name: string(o, 'name', where),
    label: string(o, 'label', where),
    description: string(o, 'description', where),
    signed: boolean(o, 'signed', where),
    cost: string(o, 'cost', where),
  };
}

function parseGranularityChoice(value: unknown, where: string): GranularityChoice {
  const o = object(value, where);
  return { name: string(o, 'name', where), label: string(o, 'label', where), description: string(o, 'description', where) };
}

/** The answer to `promptSalience/choices`, checked. */
export function parseChoices(value: unknown): Choices {
  const where = 'choices';
  const o = object(value, where);
  return { methods: array(o, 'methods', where, parseMethodChoice), granularities: array(o, 'granularities', where, parseGranularityChoice) };
}

/** One tested case: whether its response met its `expect:` items, and why (the failures'
 * reasons, else what held). A failing case's offending span is explained: the case's result. */
export interface CaseVerdict {
  case: string;
  passed: boolean;
  reason: string;
  response: string;
  /** The offending span's text (a failure), else null. */
  offendingText: string | null;
}

/** What `promptSalience.test` answers: the cases it ran, in file order, for document `version`. */
export interface TestReport {
  uri: string;
  version: number;
  cases: CaseVerdict[];
}

function parseCaseVerdict(value: unknown, where: string): CaseVerdict {
  const o = object(value, where);
  return {
    case: string(o, 'case', where),
    passed: boolean(o, 'passed', where),
    reason: string(o, 'reason', where),
    response: string(o, 'response', where),
    offendingText: optional(o, 'offendingText', (x, k) => string(x, k, where)),
  };
}

/** The answer to `promptSalience.test`, checked. */
export function parseTestReport(value: unknown): TestReport {
  const where = 'testReport';
  const o = object(value, where);
  return { uri: string(o, 'uri', where), version: integer(o, 'version', where), cases: array(o, 'cases', where, parseCaseVerdict) };
}

/** The params object a server CodeLens carries as its one command argument. */
export function parseCaseParams(value: unknown): CaseParams {
  const where = 'command argument';
  const o = object(value, where);
  const params: CaseParams = { ...o, uri: string(o, 'uri', where) };
  if (o.case !== undefined && o.case !== null) {
    params.case = string(o, 'case', where);
  }
  return params;
}

/** Whether an error answered by the server is one of ours (already shown) or a cancellation. */
export function errorCode(error: unknown): number | undefined {
  if (typeof error === 'object' && error !== null && 'code' in error) {
    const code = error.code;
    return typeof code === 'number' ? code : undefined;
  }
  return undefined;
}
