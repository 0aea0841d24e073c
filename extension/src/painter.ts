/**
 * Editor decorations: one decoration type per colour bucket, created once (again only when the
 * intensity setting changes), with the theme colours of `contributes.colors`; ranges are set
 * per editor.
 */

import * as vscode from 'vscode';

import { COLOURED_BUCKETS, DEFAULT_INTENSITY, rgbaOf } from './colourBuckets';
import type { Range } from './protocol';
import type { BucketRanges } from './salienceRanges';

export function toVscodeRange(range: Range): vscode.Range {
  return new vscode.Range(range.start.line, range.start.character, range.end.line, range.end.character);
}

export class Painter implements vscode.Disposable {
  private types = new Map<string, vscode.TextEditorDecorationType>();
  private readonly explainedType: vscode.TextEditorDecorationType;

  constructor(intensity: number) {
    this.createBucketTypes(intensity);
    this.explainedType = vscode.window.createTextEditorDecorationType({
      borderWidth: '1px',
      borderStyle: 'solid',
      borderColor: new vscode.ThemeColor('promptSalience.explainedSpanBorder'),
      borderRadius: '2px',
      fontWeight: 'bold',
      rangeBehavior: vscode.DecorationRangeBehavior.OpenOpen,
    });
  }

  /** At the default intensity the theme colours apply; any other scales the same hues. */
  private createBucketTypes(intensity: number): void {
    for (const key of COLOURED_BUCKETS) {
      const colour =
        Math.abs(intensity - DEFAULT_INTENSITY) < 1e-9
          ? new vscode.ThemeColor(`promptSalience.${key.id}`)
          : rgbaOf(key.bucket, key.signed, intensity) ?? undefined;
      this.types.set(
        key.id,
        vscode.window.createTextEditorDecorationType({
          backgroundColor: colour,
          borderRadius: '2px',
          rangeBehavior: vscode.DecorationRangeBehavior.OpenOpen,
        }),
      );
    }
  }

  /** New colours for a new intensity: the old types are disposed (their decorations vanish). */
  setIntensity(intensity: number): void {
    for (const type of this.types.values()) {
      type.dispose();
    }
    this.types = new Map();
    this.createBucketTypes(intensity);
  }

  /** Paint `ranges` on `editor`; every bucket not in `ranges` is cleared there. */
  paint(editor: vscode.TextEditor, ranges: BucketRanges | undefined, explained?: Range): void {
    for (const [id, type] of this.types) {
      editor.setDecorations(type, (ranges?.get(id) ?? []).map(toVscodeRange));
    }
    editor.setDecorations(this.explainedType, explained ? [toVscodeRange(explained)] : []);
  }

  /** Paint bucket ranges from several sources at once (the response view: segments and legend). */
  paintMerged(editor: vscode.TextEditor, sources: readonly BucketRanges[], explained?: Range): void {
    const merged: BucketRanges = new Map();
    for (const source of sources) {
      for (const [id, ranges] of source) {
        merged.set(id, [...(merged.get(id) ?? []), ...ranges]);
      }
    }
    this.paint(editor, merged, explained);
  }

  clear(editor: vscode.TextEditor): void {
    this.paint(editor, undefined);
  }

  dispose(): void {
    for (const type of this.types.values()) {
      type.dispose();
    }
    this.explainedType.dispose();
  }
}
