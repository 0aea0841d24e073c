/**
 * Salience scores to colour buckets: the rule of `pyserver/prompt_salience/colour_scale.py`,
 * mirrored exactly (the unit tests compare both on the same scores).
 *
 * - `n` levels per sign: 4 for unsigned methods, 3 for signed ones (legends of 5 / 7 steps).
 * - `f = |score| / scale`; bucket 0 (no colour) when `f < 0.01` or the score is NaN; otherwise
 *   `ceil(f * n - 1e-9)` clamped to 1..n, negated for negative scores of a signed method.
 * - Colour: the hue (violet unsigned, orange towards the span, blue away from it) with opacity
 *   `intensity * |bucket| / n`.
 *
 * Does not import `vscode`.
 */

export const DEFAULT_INTENSITY = 0.4;
export const UNSIGNED_STEPS = 4;
export const SIGNED_STEPS = 3;
export const ZERO_FRACTION = 0.01;
/** The server's floor on the scale (`results.SCALE_FLOOR`). */
export const SCALE_FLOOR = 1e-3;
const EDGE_SLACK = 1e-9;

export const UNSIGNED_HUE = '#7c3aed';
export const POSITIVE_HUE = '#ea580c';
export const NEGATIVE_HUE = '#2563eb';

export function stepsFor(signed: boolean): number {
  return signed ? SIGNED_STEPS : UNSIGNED_STEPS;
}

/** The bucket of `score` on a map of `steps` levels per sign; 0 means no colour. */
export function bucketOf(score: number, scale: number, signed: boolean, steps = stepsFor(signed)): number {
  if (Number.isNaN(score)) {
    return 0;
  }
  const fraction = Math.abs(score) / Math.max(scale, SCALE_FLOOR);
  if (fraction < ZERO_FRACTION) {
    return 0;
  }
  const level = Math.min(steps, Math.max(1, Math.ceil(fraction * steps - EDGE_SLACK)));
  return signed && score < 0 ? -level : level;
}

/** Every colour bucket (bucket 0 has no colour), in the order of the legend. */
export interface BucketKey {
  /** `unsigned1`..`unsigned4`, `positive1`..`positive3`, `negative1`..`negative3`. */
  id: string;
  signed: boolean;
  bucket: number;
}

/** The fixed set of coloured buckets: one editor decoration type each, created once. */
export const COLOURED_BUCKETS: readonly BucketKey[] = [
  ...[1, 2, 3, 4].map((b) => ({ id: `unsigned${b}`, signed: false, bucket: b })),
  ...[1, 2, 3].map((b) => ({ id: `positive${b}`, signed: true, bucket: b })),
  ...[1, 2, 3].map((b) => ({ id: `negative${b}`, signed: true, bucket: -b })),
];

/** The id of a coloured bucket (undefined for bucket 0 or one outside the fixed set). */
export function bucketId(bucket: number, signed: boolean): string | undefined {
  const level = Math.abs(bucket);
  if (level < 1 || level > stepsFor(signed) || !Number.isInteger(bucket)) {
    return undefined;
  }
  if (!signed) {
    return bucket > 0 ? `unsigned${level}` : undefined;
  }
  return bucket > 0 ? `positive${level}` : `negative${level}`;
}

export function hueOf(bucket: number, signed: boolean): string {
  if (!signed) {
    return UNSIGNED_HUE;
  }
  return bucket < 0 ? NEGATIVE_HUE : POSITIVE_HUE;
}

/** Opacity of the hue for `bucket`: intensity * |bucket| / n. */
export function alphaOf(bucket: number, signed: boolean, intensity = DEFAULT_INTENSITY): number {
  return (intensity * Math.abs(bucket)) / stepsFor(signed);
}

/** `#rrggbbaa` to lay over any background, as the server's `bucket_rgba`; null for no colour. */
export function rgbaOf(bucket: number, signed: boolean, intensity = DEFAULT_INTENSITY): string | null {
  const alpha = alphaOf(bucket, signed, intensity);
  if (alpha <= 0) {
    return null;
  }
  const byte = roundHalfEven(alpha * 255);
  return `${hueOf(bucket, signed)}${byte.toString(16).padStart(2, '0')}`;
}

/** Python's round(): halves go to the even neighbour. */
export function roundHalfEven(value: number): number {
  const floor = Math.floor(value);
  const diff = value - floor;
  if (diff > 0.5) {
    return floor + 1;
  }
  if (diff < 0.5) {
    return floor;
  }
  return floor % 2 === 0 ? floor : floor + 1;
}

/** Opaque `#rrggbb` of `colour` (`#rrggbb`) laid over `background` with opacity `alpha`. */
export function blend(colour: string, background: string, alpha: number): string {
  const top = parseHex(colour);
  const bottom = parseHex(background);
  const mixed = top.map((channel, i) => roundHalfEven(bottom[i] + alpha * (channel - bottom[i])));
  return `#${mixed.map((c) => c.toString(16).padStart(2, '0')).join('')}`;
}

function parseHex(colour: string): number[] {
  const digits = colour.replace(/^#/, '');
  if (!/^[0-9a-fA-F]{6}$/.test(digits)) {
    throw new Error(`not an #rrggbb colour: ${colour}`);
  }
  return [0, 2, 4].map((i) => parseInt(digits.slice(i, i + 2), 16));
}

/** One legend step: the buckets lowest first (5 unsigned, 7 signed), as the server's legend. */
export interface LegendStep {
  bucket: number;
  label: string;
}

export function legendSteps(signed: boolean): LegendStep[] {
  const n = stepsFor(signed);
  const steps: LegendStep[] = [];
  for (let bucket = signed ? -n : 0; bucket <= n; bucket++) {
    const percent = Math.round((100 * Math.abs(bucket)) / n);
    let label = 'about 0: no influence';
    if (bucket !== 0) {
      label = signed
        ? `pushed ${bucket > 0 ? 'towards' : 'away from'} the span, up to ${percent}% of the largest`
        : `influence up to ${percent}% of the largest`;
    }
    steps.push({ bucket, label });
  }
  return steps;
}

/** Opaque colour of `bucket` over `background` (for swatches in Markdown); null for bucket 0. */
export function swatchOf(bucket: number, signed: boolean, intensity: number, background: string): string | null {
  return bucket === 0 ? null : blend(hueOf(bucket, signed), background, alphaOf(bucket, signed, intensity));
}

/** A short sentence saying what the colours mean (the same wording as the server's caption). */
export function caption(signed: boolean): string {
  return signed
    ? 'Orange: pushed the model towards writing the explained span. Blue: pushed it away. Stronger colour = stronger push.'
    : 'Violet: influenced the explained span (this method does not tell the direction). Stronger colour = more influence.';
}
