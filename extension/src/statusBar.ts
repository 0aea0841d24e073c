/**
 * The status bar item (server and model state, method, granularity; the legend in its tooltip)
 * and the quick picks it opens.
 */

import * as vscode from 'vscode';

import { legendSteps, swatchOf } from './colourBuckets';
import type { ModelState } from './modelWork';
import { type ExplanationResult, GRANULARITIES, METHODS } from './protocol';
import { shorten, topSegments } from './salienceRanges';
import type { ServerState } from './server';

const METHOD_DETAILS: Record<string, string> = {
  grad_l2: 'Gradient L2 norm (LIT default): how sensitive the span is to each part; unsigned',
  grad_dot_input: 'Gradient \u00b7 input: signed, orange = towards the span, blue = away',
  integrated_gradients: 'Integrated gradients from a padding baseline: signed, slower',
  segment_ablation: 'Hide each segment and measure the drop: signed, one pass per segment',
};

const GRANULARITY_DETAILS: Record<string, string> = {
  tokens: 'each model token',
  words: 'words (LIT default)',
  sentences: 'sentences',
  lines: 'lines',
  paragraphs: 'paragraphs (blank-line separated)',
  variables: 'one score per {{variable}} value, the template text as the rest',
};

export class StatusBar implements vscode.Disposable {
  private readonly item: vscode.StatusBarItem;

  constructor() {
    this.item = vscode.window.createStatusBarItem('promptSalience.status', vscode.StatusBarAlignment.Right, 100);
    this.item.name = 'Prompt Salience';
    this.item.command = 'promptSalience.showStatusMenu';
  }

  update(server: ServerState, model: ModelState, result: ExplanationResult | undefined, intensity: number, visible: boolean): void {
    let icon = '$(symbol-color)';
    let state: string = model;
    if (server === 'starting') {
      icon = '$(loading~spin)';
      state = 'starting';
    } else if (server === 'failed') {
      icon = '$(error)';
      state = 'server error';
    } else if (server === 'stopped') {
      icon = '$(debug-stop)';
      state = 'stopped';
    } else if (model === 'loading') {
      icon = '$(loading~spin)';
      state = 'loading model';
    } else if (model === 'error') {
      icon = '$(error)';
    }
    const view = result ? ` \u00b7 ${result.method} \u00b7 ${result.granularity}` : '';
    this.item.text = `${icon} Salience: ${state}${view}`;
    this.item.backgroundColor = server === 'failed' || model === 'error' ? new vscode.ThemeColor('statusBarItem.errorBackground') : undefined;
    this.item.tooltip = tooltip(server, model, result, intensity);
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

/** The legend as Markdown with colour swatches (opaque colours over the theme's background). */
export function legendMarkdown(signed: boolean, intensity: number): string {
  const lines = legendSteps(signed).map((step) => {
    const colour = swatchOf(step.bucket, signed, intensity, background());
    const swatch = colour === null ? '&nbsp;&nbsp;&nbsp;&nbsp;&nbsp;&nbsp;' : `<span style="background-color:${colour};">&nbsp;&nbsp;&nbsp;&nbsp;&nbsp;&nbsp;</span>`;
    return `${swatch} ${step.label}`;
  });
  return lines.join('<br>\n');
}

function tooltip(server: ServerState, model: ModelState, result: ExplanationResult | undefined, intensity: number): vscode.MarkdownString {
  const markdown = new vscode.MarkdownString(undefined, true);
  markdown.supportHtml = true;
  markdown.isTrusted = false;
  markdown.appendMarkdown(`**Prompt Salience** \u2014 server ${server}, model ${model}\n\n`);
  if (result === undefined) {
    markdown.appendMarkdown('No salience shown. Click **\u25b6 Run and explain** above a case in a `.prompt` file.\n\n');
    return markdown;
  }
  markdown.appendMarkdown(`Explaining \u201c${escape(shorten(result.spanText, 60))}\u201d \u00b7 case \`${result.case}\` \u00b7 ${result.model}\n\n`);
  markdown.appendMarkdown(`Method **${result.method}** \u00b7 granularity **${result.granularity}** \u00b7 intensity ${intensity}\n\n`);
  markdown.appendMarkdown(`${legendMarkdown(result.signed, intensity)}\n\n`);
  const top = topSegments(result, 3).map((s) => `${s.rank}. \u201c${escape(shorten(s.text, 40))}\u201d (${s.score.toPrecision(3)})`);
  if (top.length > 0) {
    markdown.appendMarkdown(`Most salient: ${top.join(' \u00b7 ')}\n\n`);
  }
  markdown.appendMarkdown('Click to switch method or granularity.');
  return markdown;
}

function escape(text: string): string {
  return text.replace(/[\\`*_{}[\]()#+\-.!<>|]/g, (c) => `\\${c}`);
}

export async function pickMethod(current: string | undefined): Promise<string | undefined> {
  const items = METHODS.map((method) => ({ label: method, description: method === current ? '(current)' : undefined, detail: METHOD_DETAILS[method] }));
  return (await vscode.window.showQuickPick(items, { title: 'Prompt Salience: method', placeHolder: 'Explain the same span with another method (no new generation)' }))?.label;
}

export async function pickGranularity(current: string | undefined): Promise<string | undefined> {
  const custom = 'regex\u2026';
  const items = [...GRANULARITIES, custom].map((granularity) => ({
    label: granularity,
    description: granularity === current ? '(current)' : undefined,
    detail: granularity === custom ? 'split the text where a regular expression matches (e.g. \\n+)' : GRANULARITY_DETAILS[granularity],
  }));
  const picked = await vscode.window.showQuickPick(items, { title: 'Prompt Salience: granularity', placeHolder: 'Group scores by (no new generation)' });
  if (picked?.label !== custom) {
    return picked?.label;
  }
  const separator = await vscode.window.showInputBox({ title: 'Split segments where this regular expression matches', value: '\\n+' });
  return separator ? `regex:${separator}` : undefined;
}
