import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import { describe, it } from 'node:test';

import {
  alphaOf,
  blend,
  bucketId,
  bucketOf,
  COLOURED_BUCKETS,
  legendSteps,
  rgbaOf,
  roundHalfEven,
  stepsFor,
} from '../../src/colourBuckets';

const repo = path.resolve(__dirname, '..', '..', '..', '..');
const python = path.join(repo, '.venv', 'bin', 'python');

describe('bucketOf', () => {
  it('gives no colour below 1% of the scale, and level n to the largest score', () => {
    assert.equal(bucketOf(0, 2, false), 0);
    assert.equal(bucketOf(0.0199, 2, false), 0);
    assert.equal(bucketOf(0.02, 2, false), 1);
    assert.equal(bucketOf(2, 2, false), 4);
    assert.equal(bucketOf(Number.NaN, 2, false), 0);
  });

  it('keeps a score exactly on an edge in the lower bucket', () => {
    assert.equal(bucketOf(0.5, 1, false), 2); // 0.5 * 4 = 2 exactly
    assert.equal(bucketOf(0.5000001, 1, false), 3);
    assert.equal(bucketOf(1 / 3, 1, true), 1);
  });

  it('clamps scores beyond the scale and signs negative scores of signed methods', () => {
    assert.equal(bucketOf(5, 1, false), 4);
    assert.equal(bucketOf(-5, 1, true), -3);
    assert.equal(bucketOf(-0.9, 1, false), 4); // unsigned methods never go negative
    assert.equal(bucketOf(-0.2, 1, true), -1);
  });

  it('floors the scale at 1e-3 like the server', () => {
    assert.equal(bucketOf(1e-6, 0, false), 0);
    assert.equal(bucketOf(1e-3, 0, false), 4);
  });
});

describe('colours', () => {
  it('uses intensity * |bucket| / n as opacity, as #rrggbbaa', () => {
    assert.equal(rgbaOf(4, false), '#7c3aed66');
    assert.equal(rgbaOf(1, false), '#7c3aed1a');
    assert.equal(rgbaOf(-3, true), '#2563eb66');
    assert.equal(rgbaOf(1, true), '#ea580c22');
    assert.equal(rgbaOf(0, true), null);
    assert.ok(Math.abs(alphaOf(2, false, 0.8) - 0.4) < 1e-12);
  });

  it('has one decoration type per coloured bucket, ids matching bucketId', () => {
    assert.equal(COLOURED_BUCKETS.length, 10);
    for (const key of COLOURED_BUCKETS) {
      assert.equal(bucketId(key.bucket, key.signed), key.id);
    }
    assert.equal(bucketId(0, false), undefined);
    assert.equal(bucketId(5, false), undefined);
    assert.equal(bucketId(-1, false), undefined);
  });

  it('blends over a background and lists 5 / 7 legend steps', () => {
    assert.equal(blend('#000000', '#ffffff', 0.5), '#808080');
    assert.deepEqual([0.5, 1.5, 2.5, 2.4, 2.6].map(roundHalfEven), [0, 2, 2, 2, 3]);
    assert.equal(legendSteps(false).length, 5);
    assert.deepEqual(legendSteps(true).map((s) => s.bucket), [-3, -2, -1, 0, 1, 2, 3]);
  });

  it('the theme colour defaults in package.json are the default-intensity colours', () => {
    const manifest = JSON.parse(readFileSync(path.join(repo, 'package.json'), 'utf8')) as { contributes: { colors: { id: string; defaults: { light: string; dark: string } }[] } };
    for (const key of COLOURED_BUCKETS) {
      const colour = manifest.contributes.colors.find((c) => c.id === `promptSalience.${key.id}`);
      assert.ok(colour, key.id);
      assert.equal(colour.defaults.light, rgbaOf(key.bucket, key.signed));
      assert.equal(colour.defaults.dark, rgbaOf(key.bucket, key.signed));
    }
  });
});

describe('the same rule as the server (pyserver/prompt_salience/colour_scale.py)', { skip: !existsSync(python) && 'no .venv' }, () => {
  it('gives the same bucket and colour for the same scores', () => {
    const scores = [0, 1e-4, 0.004, 0.0101, 0.1, 0.25, 0.2500001, 1 / 3, 0.5, 0.51, 2 / 3, 0.75, 0.99, 1, 1.7, -0.004, -0.2, -0.34, -0.5, -0.9, -1.2];
    const scales = [1, 0.37, 2.5, 1e-5];
    const script = [
      'import json, sys',
      'from prompt_salience.colour_scale import ColourScale',
      'scores, scales = json.loads(sys.argv[1]), json.loads(sys.argv[2])',
      'out = []',
      'for signed in (False, True):',
      '    for scale in scales:',
      '        for intensity in (0.4, 0.75):',
      '            cs = ColourScale(signed, scale, intensity)',
      '            for s in scores:',
      '                b = cs.bucket(s)',
      '                out.append([signed, scale, intensity, s, b, cs.bucket_rgba(b)])',
      'print(json.dumps(out))',
    ].join('\n');
    const rows = JSON.parse(execFileSync(python, ['-c', script, JSON.stringify(scores), JSON.stringify(scales)], { encoding: 'utf8' })) as [boolean, number, number, number, number, string | null][];
    assert.equal(rows.length, 2 * scales.length * 2 * scores.length);
    for (const [signed, scale, intensity, score, bucket, rgba] of rows) {
      const ours = bucketOf(score, scale, signed, stepsFor(signed));
      assert.equal(ours, bucket, `bucket of ${score} on scale ${scale} (signed ${signed})`);
      assert.equal(rgbaOf(ours, signed, intensity), rgba, `colour of ${score} (intensity ${intensity})`);
    }
  });
});
