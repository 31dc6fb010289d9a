/**
 * A digest of one sweep's generated verdicts, for pages that compare regimes and presets: how the
 * verdicts of each claim fall in each regime, and the claim-2 evidence of a few headline
 * activations. It only regroups what lib/repro/verdicts.ts decided (never decides anything), so a
 * page built from it quotes verdicts instead of restating them by hand.
 */
import type { Verdict, VerdictValue } from './verdicts';

const SHORT: Record<VerdictValue, string> = { holds: 'holds', 'does not hold': 'not', inconclusive: 'inc.' };

/** "2 holds · 14 not · 2 inc." over the verdicts given, or the single verdict in bold. */
export function tally(vs: readonly Verdict[]): string {
  if (vs.length === 0) return '–';
  if (vs.length === 1) return `**${vs[0].verdict}**`;
  const order: VerdictValue[] = ['holds', 'does not hold', 'inconclusive'];
  return order
    .map((v) => [v, vs.filter((x) => x.verdict === v).length] as const)
    .filter(([, n]) => n > 0)
    .map(([v, n]) => `${n} ${SHORT[v]}`)
    .join(' · ');
}

const unique = <T>(xs: T[]): T[] => [...new Set(xs)];

/**
 * Claims 1 to 5 by regime (rows) as tallies; claim 2 counts one verdict per activation (its "all"
 * line left out), claim 5 one per ensemble size and replacement.
 */
export function claimMatrix(verdicts: readonly Verdict[]): string {
  const perRegime = verdicts.filter((v) => v.claim <= 5 && v.regime !== 'kernel cost' && !(v.claim === 2 && v.subject === 'all'));
  const regimes = unique(perRegime.map((v) => v.regime));
  const claims = [1, 2, 3, 4, 5].filter((c) => perRegime.some((v) => v.claim === c));
  const rows = regimes.map((r) => `| ${r} | ${claims.map((c) => tally(perRegime.filter((v) => v.regime === r && v.claim === c))).join(' | ')} |`);
  return [`| regime | ${claims.map((c) => `claim ${c}`).join(' | ')} |`, `| --- |${claims.map(() => ' --- |').join('')}`, ...rows].join('\n');
}

/** Claim 6 (heavier shuffling shrinks the advantage): one row per pair of regimes compared. */
export function shuffleMatrix(verdicts: readonly Verdict[]): string {
  const c6 = verdicts.filter((v) => v.claim === 6);
  if (c6.length === 0) return '';
  const rows = unique(c6.map((v) => v.regime)).map((r) => `| ${r} | ${tally(c6.filter((v) => v.regime === r))} |`);
  return ['| regimes compared | claim 6, one verdict per smooth activation |', '| --- | --- |', ...rows].join('\n');
}

/** Claim 2 for the given activations by regime: each cell the verdict and the intervals it rests on. */
export function headlineTable(verdicts: readonly Verdict[], labels: readonly string[]): string {
  const c2 = verdicts.filter((v) => v.claim === 2 && labels.includes(v.subject));
  const present = labels.filter((l) => c2.some((v) => v.subject === l));
  if (present.length === 0) return '';
  const rows = unique(c2.map((v) => v.regime)).map((r) => {
    const cells = present.map((l) => {
      const v = c2.find((x) => x.regime === r && x.subject === l);
      return v ? `**${v.verdict}**: ${v.evidence}` : '–';
    });
    return `| ${r} | ${cells.join(' | ')} |`;
  });
  return [`| regime | ${present.join(' | ')} |`, `| --- |${present.map(() => ' --- |').join('')}`, ...rows].join('\n');
}

/** The three tables of a sweep, with the headings a page quotes them under. */
export function digest(verdicts: readonly Verdict[], headline: readonly string[]): string {
  return [
    '#### Verdicts by claim and regime (counts over activations, ensembles or families)',
    '',
    claimMatrix(verdicts),
    '',
    '#### Claim 2 for the headline activations (PD and loss ratios to ReLU, 95% intervals)',
    '',
    headlineTable(verdicts, headline),
    '',
    '#### Claim 6: the ratio under a full reshuffle against each gentler regime',
    '',
    shuffleMatrix(verdicts) || 'No regime besides the full reshuffle in this sweep.',
    '',
  ].join('\n');
}
