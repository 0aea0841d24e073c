/**
 * Editor decorations: one decoration type per colour the server's legends use (a theme colour
 * of `contributes.colors`, or a `#rrggbbaa` colour when the intensity is not the default one),
 * created when first needed and disposed when no visible editor shows it; ranges are set per
 * editor. The painter knows no colour rule: the keys come from the result (see legend.ts).
 */

import * as vscode from 'vscode';

import { isLiteralColour } from './legend';
import type { Range } from './protocol';
import type { BucketRanges } from './salienceRanges';

export function toVscodeRange(range: Range): vscode.Range {
  return new vscode.Range(range.start.line, range.start.character, range.end.line, range.end.character);
}

export class Painter implements vscode.Disposable {
  /** Decoration types by paint key. */
  private readonly types = new Map<string, vscode.TextEditorDecorationType>();
  /** The paint keys each editor shows, to know which types are still in use. */
  private readonly shownOn = new Map<vscode.TextEditor, ReadonlySet<string>>();
  private readonly explainedType: vscode.TextEditorDecorationType;
  /** The outline of prompt segments an edit changed or added (a comparison's difference map). */
  private readonly changedType: vscode.TextEditorDecorationType;

  constructor() {
    this.explainedType = vscode.window.createTextEditorDecorationType({
      borderWidth: '1px',
      borderStyle: 'solid',
      borderColor: new vscode.ThemeColor('promptSalience.explainedSpanBorder'),
      borderRadius: '2px',
      fontWeight: 'bold',
      rangeBehavior: vscode.DecorationRangeBehavior.ClosedClosed,
    });
    this.changedType = vscode.window.createTextEditorDecorationType({
      borderWidth: '1px',
      borderStyle: 'dashed',
      borderColor: new vscode.ThemeColor('promptSalience.changedSegmentBorder'),
      borderRadius: '2px',
      rangeBehavior: vscode.DecorationRangeBehavior.ClosedClosed,
    });
  }

  private typeFor(key: string): vscode.TextEditorDecorationType {
    let type = this.types.get(key);
    if (type === undefined) {
      type = vscode.window.createTextEditorDecorationType({
        backgroundColor: isLiteralColour(key) ? key : new vscode.ThemeColor(key),
        borderRadius: '2px',
        rangeBehavior: vscode.DecorationRangeBehavior.ClosedClosed,
      });
      this.types.set(key, type);
    }
    return type;
  }

  /** Paint `ranges` on `editor`; every colour not in `ranges` is cleared there. `explained`
   * outlines the explained span, `changed` the segments an edit changed (a comparison). */
  paint(editor: vscode.TextEditor, ranges: BucketRanges | undefined, explained?: Range, changed: readonly Range[] = []): void {
    for (const [key, type] of this.types) {
      if (ranges?.has(key) !== true) {
        editor.setDecorations(type, []);
      }
    }
    for (const [key, list] of ranges ?? []) {
      editor.setDecorations(this.typeFor(key), list.map(toVscodeRange));
    }
    editor.setDecorations(this.explainedType, explained ? [toVscodeRange(explained)] : []);
    editor.setDecorations(this.changedType, changed.map(toVscodeRange));
    this.shownOn.set(editor, new Set(ranges?.keys()));
    this.disposeUnused(editor);
  }

  /** Paint colour ranges from several sources at once (the response view: segments and legend). */
  paintMerged(editor: vscode.TextEditor, sources: readonly BucketRanges[], explained?: Range): void {
    const merged: BucketRanges = new Map();
    for (const source of sources) {
      for (const [key, ranges] of source) {
        merged.set(key, [...(merged.get(key) ?? []), ...ranges]);
      }
    }
    this.paint(editor, merged, explained);
  }

  clear(editor: vscode.TextEditor): void {
    this.paint(editor, undefined);
  }

  /** Dispose the types no visible editor shows (e.g. the colours of a former intensity). An
   * editor that becomes visible again is painted afresh, which creates what it needs. */
  private disposeUnused(current: vscode.TextEditor): void {
    const visible = new Set(vscode.window.visibleTextEditors);
    for (const editor of [...this.shownOn.keys()]) {
      if (editor !== current && !visible.has(editor)) {
        this.shownOn.delete(editor);
      }
    }
    const used = new Set([...this.shownOn.values()].flatMap((keys) => [...keys]));
    for (const [key, type] of [...this.types]) {
      if (!used.has(key)) {
        type.dispose();
        this.types.delete(key);
      }
    }
  }

  dispose(): void {
    for (const type of this.types.values()) {
      type.dispose();
    }
    this.types.clear();
    this.shownOn.clear();
    this.explainedType.dispose();
    this.changedType.dispose();
  }
}
