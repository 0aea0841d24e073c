/**
 * The result's colour legend as the editor draws it. The server decides every segment's bucket
 * and every bucket's colour (`scale.legend`); this module only looks them up: which decoration
 * paints a bucket, and an opaque swatch of it for Markdown, which has no transparency over the
 * editor's background. Does not import `vscode`.
 */

import type { ColourScaleInfo, LegendEntry } from './protocol';

/** What has a colour scale: a result, or a comparison (its difference map). */
export interface Scaled {
  scale: ColourScaleInfo;
}

/**
 * How a bucket is painted, as one string that also keys its decoration type: the legend entry's
 * theme colour id when it has one (`promptSalience.unsigned3`), else its `#rrggbbaa` colour;
 * undefined for a bucket without colour.
 */
export function paintKey(entry: LegendEntry): string | undefined {
  return entry.themeColour ?? entry.colour ?? undefined;
}

/** Whether a paint key is a literal colour (`#rrggbbaa`) rather than a theme colour id. */
export function isLiteralColour(key: string): boolean {
  return key.startsWith('#');
}

/** The paint key of `bucket` in the legend of `scaled` (undefined: not painted). */
export function bucketPaintKey(scaled: Scaled, bucket: number): string | undefined {
  const entry = scaled.scale.legend.find((e) => e.bucket === bucket);
  return entry === undefined ? undefined : paintKey(entry);
}

function channels(hex: string): number[] {
  return [0, 2, 4, 6].slice(0, hex.length / 2).map((i) => parseInt(hex.slice(i, i + 2), 16));
}

/**
 * `#rrggbbaa` laid over the opaque `background` (`#rrggbb`): the opaque `#rrggbb` a viewer sees.
 * Undefined when either is not a colour of that form.
 */
export function blendOver(colour: string, background: string): string | undefined {
  if (!/^#[0-9a-f]{8}$/i.test(colour) || !/^#[0-9a-f]{6}$/i.test(background)) {
    return undefined;
  }
  const [r, g, b, a] = channels(colour.slice(1));
  const under = channels(background.slice(1));
  const alpha = a / 255;
  const mixed = [r, g, b].map((channel, i) => Math.round(under[i] + alpha * (channel - under[i])));
  return `#${mixed.map((c) => c.toString(16).padStart(2, '0')).join('')}`;
}

/** One legend line for Markdown: the swatch's opaque colour (undefined: none) and its label. */
export interface LegendLine {
  swatch: string | undefined;
  label: string;
}

/** The legend lines of `scaled`, in the server's order, with swatches over `background`. */
export function legendLines(scaled: Scaled, background: string): LegendLine[] {
  return scaled.scale.legend.map((entry) => ({
    swatch: entry.colour === null ? undefined : blendOver(entry.colour, background),
    label: entry.label,
  }));
}
