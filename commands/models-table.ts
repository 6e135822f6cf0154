import type { DecisionRow, ModelVersion } from '../db/models.js';
import type { Evidence } from '../lifecycle/promotion-rule.js';
import type { PromotionState } from '../workflows/lifecycle-types.js';

const ago = (iso: string | null) => (iso ? iso.slice(0, 16).replace('T', ' ') : '—');

/** `npm run models -- list`: one line per version, each role's live one first. */
export function registryTable(versions: ModelVersion[]): string {
  if (!versions.length) return 'no model versions registered yet: a worker registers the shipped ones at its start';
  const order = { live: 0, shadow: 1, candidate: 2, retired: 3, rejected: 4 } as const;
  const rows = [...versions]
    .sort((a, b) => a.role.localeCompare(b.role) || order[a.status] - order[b.status] || b.createdAt.localeCompare(a.createdAt))
    .map((v) => [v.role, v.version, v.status, v.sha256.slice(0, 12), ago(v.decidedAt), v.decidedBy ?? '—', v.decidedBecause ?? '—']);
  return table(['role', 'version', 'status', 'sha256', 'decided (UTC)', 'by', 'why'], rows);
}

/** `npm run models -- show <version>`: where it is, what it was trained on, its report, its shadow comparison and its decisions. */
export function describeVersion(v: ModelVersion, decisions: DecisionRow[], promotion: PromotionState | undefined, promotionLink: string): string {
  const lines = [`${v.version} (${v.role}): ${v.status}`, `  files   ${v.path} (sha256 ${v.sha256})`, `  report  ${v.reportPath ?? '—'}`];
  if (v.trainedOn) lines.push(`  trained on ${JSON.stringify(v.trainedOn)}`);
  const benchmark = v.metrics.benchmark as { cries: number; nonCries: number; candidate: { falseRejects: number; falseAccepts: number }; live: { version: string; falseRejects: number; falseAccepts: number } | null } | undefined;
  if (benchmark) {
    const frr = (n: number) => `${((n / benchmark.cries) * 100).toFixed(1)} %`;
    const far = (n: number) => `${((n / benchmark.nonCries) * 100).toFixed(1)} %`;
    lines.push(
      `  offline benchmark (${benchmark.cries} cries, ${benchmark.nonCries} non-cries): refuses ${frr(benchmark.candidate.falseRejects)} of cries, accepts ${far(benchmark.candidate.falseAccepts)} of non-cries` +
        (benchmark.live ? `; ${benchmark.live.version}: ${frr(benchmark.live.falseRejects)}, ${far(benchmark.live.falseAccepts)}` : ''),
    );
  }
  const shadow = (promotion?.evidence ?? v.metrics.shadow) as Evidence | undefined;
  if (shadow) {
    lines.push(`  shadow comparison against ${shadow.against.join(', ') || '—'}: ${shadow.shadowed} recordings, ${shadow.labelled} labelled by parents, ${shadow.families} families; rule ${shadow.holds ? 'holds' : shadow.enough ? 'does not hold' : 'not judged yet (too few labels)'}`);
    for (const check of shadow.checks) lines.push(`    ${check.holds ? '✓' : '✗'} ${check.name}: ${check.detail}`);
  }
  if (promotion) lines.push(`  promotion ${promotion.phase}: ${promotionLink}`);
  lines.push('  decisions:');
  for (const d of decisions) lines.push(`    ${ago(d.decidedAt)}  ${d.status.padEnd(9)} by ${d.decidedBy}: ${d.because}${d.workflowId ? ` (${d.workflowId})` : ''}`);
  return lines.join('\n');
}

function table(header: string[], rows: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]) => cells.map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i]!))).join('  ');
  return [line(header), ...rows.map(line)].join('\n');
}
