/**
 * The status bar item (server and model state, method, granularity; the result's legend and
 * caption in its tooltip, or a comparison's summary and difference legend) and the quick picks
 * it opens, which list the server's choices. The model's state and its words are the server's
 * (`promptSalience/modelState`, drawn as modelState.ts says).
 */

import * as vscode from 'vscode';

import { baselineName, type ShownComparison } from './comparisonStore';
import { legendLines, type Scaled } from './legend';
import { type ModelStateParams, statusLook } from './modelState';
import { type Choices, type ExplanationResult, type GranularityChoice, REGEX_GRANULARITY } from './protocol';
import { shorten, topSegments } from './salienceRanges';
import type { ServerState } from './server';

export class StatusBar implements vscode.Disposable {
  private readonly item: vscode.StatusBarItem;

  constructor() {
    this.item = vscode.window.createStatusBarItem('promptSalience.status', vscode.StatusBarAlignment.Right, 100);
    this.item.name = 'Prompt Salience';
    this.item.command = 'promptSalience.showStatusMenu';
  }

  /** Draw the server's state, else the model's as the server announced it. */
  update(server: ServerState, model: ModelStateParams | undefined, result: ExplanationResult | undefined, visible: boolean, comparison?: ShownComparison): void {
    const look = statusLook(server, model);
    let view = result ? ` \u00b7 ${result.method} \u00b7 ${result.granularity}` : '';
    if (comparison?.showing === 'difference') {
      view = ` \u00b7 difference from the ${baselineName(comparison.report)}`;
    }
    this.item.text = `${look.icon} Salience: ${look.text}${view}`;
    this.item.backgroundColor = look.error ? new vscode.ThemeColor('statusBarItem.errorBackground') : undefined;
    this.item.tooltip = comparison !== undefined ? comparisonTooltip(server, model, comparison) : tooltip(server, model, result);
    if (visible) {
      this.item.show();
    } else {
      this.item.hide();
    }
  }

  dispose(): void {
    this.item.dispose();
  }
}

function background(): string {
  const kind = vscode.window.activeColorTheme.kind;
  return kind === vscode.ColorThemeKind.Dark || kind === vscode.ColorThemeKind.HighContrast ? '#1e1e1e' : '#ffffff';
}

/** A legend (a result's, or a comparison's difference map) as Markdown with colour swatches
 * (opaque colours over the theme's background). */
export function legendMarkdown(scaled: Scaled): string {
  const blank = '&nbsp;'.repeat(6);
  const lines = legendLines(scaled, background()).map((line) => {
    const swatch = line.swatch === undefined ? blank : `<span style="background-color:${line.swatch};">${blank}</span>`;
    return `${swatch} ${escape(line.label)}`;
  });
  return lines.join('<br>\n');
}

/** The tooltip's first lines: the server's state, and the model's in the server's words. */
function heading(server: ServerState, model: ModelStateParams | undefined): string {
  const look = statusLook(server, model);
  const sentence = look.tooltip === '' ? '' : `${escape(look.tooltip)}\n\n`;
  return `**Prompt Salience** \u2014 ${escape(look.text)}\n\n${sentence}`;
}

function tooltip(server: ServerState, model: ModelStateParams | undefined, result: ExplanationResult | undefined): vscode.MarkdownString {
  const markdown = new vscode.MarkdownString(undefined, true);
  markdown.supportHtml = true;
  markdown.isTrusted = false;
  markdown.appendMarkdown(heading(server, model));
  if (result === undefined) {
    markdown.appendMarkdown('No salience shown. Click **\u25b6 Run and explain** above a case in a `.prompt` file.\n\n');
    return markdown;
  }
  markdown.appendMarkdown(`Explaining \u201c${escape(shorten(result.spanText, 60))}\u201d \u00b7 case \`${result.case}\` \u00b7 ${result.model}\n\n`);
  markdown.appendMarkdown(`Method **${result.method}** \u00b7 granularity **${result.granularity}** \u00b7 intensity ${result.scale.intensity}\n\n`);
  markdown.appendMarkdown(`${escape(result.scale.caption)}\n\n`);
  markdown.appendMarkdown(`${legendMarkdown(result)}\n\n`);
  const top = topSegments(result, 3).map((s) => `${s.rank}. \u201c${escape(shorten(s.text, 40))}\u201d (${s.score.toPrecision(3)})`);
  if (top.length > 0) {
    markdown.appendMarkdown(`Most salient: ${top.join(' \u00b7 ')}\n\n`);
  }
  markdown.appendMarkdown('Click to switch method or granularity.');
  return markdown;
}

/** A comparison's tooltip: the server's summary, and the difference map's caption and legend. */
function comparisonTooltip(server: ServerState, model: ModelStateParams | undefined, comparison: ShownComparison): vscode.MarkdownString {
  const { report, showing } = comparison;
  const markdown = new vscode.MarkdownString(undefined, true);
  markdown.supportHtml = true;
  markdown.isTrusted = false;
  markdown.appendMarkdown(heading(server, model));
  markdown.appendMarkdown(`Case \`${report.case}\` compared with its ${baselineName(report)}:\n\n`);
  for (const sentence of report.summary) {
    markdown.appendMarkdown(`- ${escape(sentence)}\n`);
  }
  markdown.appendMarkdown('\n');
  if (showing === 'difference') {
    markdown.appendMarkdown(`${escape(report.scale.caption)} Outlined: text your edits changed.\n\n`);
    markdown.appendMarkdown(`${legendMarkdown(report)}\n\n`);
  }
  const other = showing === 'difference' ? 'the current salience' : 'the difference map';
  markdown.appendMarkdown(`Run **Prompt Salience: Toggle Difference View** to show ${other}.`);
  return markdown;
}

function escape(text: string): string {
  return text.replace(/[\\`*_{}[\]()#+\-.!<>|]/g, (c) => `\\${c}`);
}

export async function pickMethod(choices: Choices, current: string | undefined): Promise<string | undefined> {
  const items = choices.methods.map((method) => ({
    label: method.name,
    description: method.name === current ? `${method.label} (current)` : method.label,
    detail: `${method.description} \u00b7 ${method.signed ? 'signed' : 'unsigned'} \u00b7 ${method.cost}`,
  }));
  return (await vscode.window.showQuickPick(items, { title: 'Prompt Salience: method', placeHolder: 'Explain the same span with another method (no new generation)' }))?.label;
}

/** A granularity choice that stands for the parametrised form `regex:<separator>`. */
function isRegexChoice(choice: GranularityChoice): boolean {
  return choice.name === 'regex' || choice.name.startsWith(REGEX_GRANULARITY);
}

export async function pickGranularity(choices: Choices, current: string | undefined): Promise<string | undefined> {
  // The server's entry for `regex:<separator>` (else one of our own) asks for the separator.
  const custom = choices.granularities.find(isRegexChoice) ?? { name: REGEX_GRANULARITY, label: 'regular expression', description: 'split the text where a regular expression matches (e.g. \\n+)' };
  const items = [...choices.granularities.filter((g) => !isRegexChoice(g)), custom].map((granularity) => {
    const isCurrent = granularity === custom ? current?.startsWith(REGEX_GRANULARITY) === true : granularity.name === current;
    return {
      label: granularity === custom ? 'regex\u2026' : granularity.name,
      description: isCurrent ? `${granularity.label} (current)` : granularity.label,
      detail: granularity.description,
      choice: granularity,
    };
  });
  const picked = await vscode.window.showQuickPick(items, { title: 'Prompt Salience: granularity', placeHolder: 'Group scores by (no new generation)' });
  if (picked?.choice !== custom) {
    return picked?.choice.name;
  }
  const separator = await vscode.window.showInputBox({ title: 'Split segments where this regular expression matches', value: '\\n+' });
  return separator ? `${REGEX_GRANULARITY}${separator}` : undefined;
}
