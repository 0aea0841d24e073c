/**
 * Where each sample prompt goes when copied into the workspace: a user's file is never
 * overwritten. A file already there with the sample's very text is reused; a different one
 * keeps its name and the sample takes the next free `name-N.ext`. No `vscode` here.
 */

export interface SampleCopy {
  /** The sample's name in the extension. */
  sample: string;
  /** The name it gets in the samples folder. */
  target: string;
  /** copy: written; same: that file already holds the sample; renamed: written beside a
   * different file of the sample's name. */
  action: 'copy' | 'same' | 'renamed';
}

/** Plan the copies of `samples` (name → text) into a folder whose files are `existing`
 * (name → text). */
export function planSampleCopies(samples: ReadonlyMap<string, string>, existing: ReadonlyMap<string, string>): SampleCopy[] {
  const taken = new Set(existing.keys());
  const plan: SampleCopy[] = [];
  for (const [sample, text] of samples) {
    const there = existing.get(sample);
    if (there === undefined) {
      plan.push({ sample, target: sample, action: 'copy' });
      taken.add(sample);
      continue;
    }
    if (there === text) {
      plan.push({ sample, target: sample, action: 'same' });
      continue;
    }
    const dot = sample.lastIndexOf('.');
    const [stem, ext] = dot > 0 ? [sample.slice(0, dot), sample.slice(dot)] : [sample, ''];
    let n = 2;
    while (taken.has(`${stem}-${n}${ext}`) && existing.get(`${stem}-${n}${ext}`) !== text) {
      n += 1;
    }
    const target = `${stem}-${n}${ext}`;
    plan.push({ sample, target, action: existing.get(target) === text ? 'same' : 'renamed' });
    taken.add(target);
  }
  return plan;
}

/** One sentence on what the copy did with the user's files (undefined when nothing was renamed). */
export function renamedNotice(plan: readonly SampleCopy[]): string | undefined {
  const renamed = plan.filter((p) => p.action === 'renamed');
  if (renamed.length === 0) {
    return undefined;
  }
  const list = renamed.map((p) => `${p.target} (your ${p.sample} is left as it was)`).join(', ');
  return `Some sample names were taken by your own files, so the samples were copied as ${list}.`;
}
