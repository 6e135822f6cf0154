/**
 * The hot functions of V8 CPU profiles (`node --cpu-prof`, or `npm run bench -- --cpu-prof DIR`):
 * per profile, the functions with the most self time, as milliseconds and as a share of the
 * time the thread was not idle.
 *
 *   npx tsx bench/hot.ts DIR [--top 20]
 */
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { z } from 'zod';

const Profile = z.object({
  nodes: z.array(z.object({ id: z.number(), callFrame: z.object({ functionName: z.string(), url: z.string(), lineNumber: z.number() }) })),
  samples: z.array(z.number()),
  timeDeltas: z.array(z.number()),
});

/** Not work of the program's: time the thread waited, and the profiler's own bookkeeping. */
const NOT_WORK = new Set(['(idle)', '(program)']);

const { values, positionals } = parseArgs({ allowPositionals: true, options: { top: { type: 'string', default: '20' } } });
const dir = positionals[0];
if (!dir) throw new Error('usage: npx tsx bench/hot.ts DIR [--top 20]');

for (const file of (await readdir(dir)).filter((f) => f.endsWith('.cpuprofile')).sort()) {
  const profile = Profile.parse(JSON.parse(await readFile(join(dir, file), 'utf8')));
  const frameOf = new Map(profile.nodes.map((n) => [n.id, n.callFrame]));
  const selfUs = new Map<string, number>();
  profile.samples.forEach((id, i) => {
    const frame = frameOf.get(id)!;
    const where = frame.url ? `${frame.url.split('/').slice(-2).join('/')}:${frame.lineNumber + 1}` : '';
    const key = `${frame.functionName || '(anonymous)'} ${where}`.trim();
    selfUs.set(key, (selfUs.get(key) ?? 0) + (profile.timeDeltas[i] ?? 0));
  });
  const work = [...selfUs].filter(([key]) => !NOT_WORK.has(key)).sort((a, b) => b[1] - a[1]);
  const busy = work.reduce((sum, [, us]) => sum + us, 0);
  console.log(`\n${file}: ${(busy / 1e6).toFixed(2)} s busy`);
  for (const [key, us] of work.slice(0, Number(values.top))) {
    console.log(`  ${(us / 1000).toFixed(0).padStart(7)} ms ${((100 * us) / busy).toFixed(1).padStart(5)} %  ${key}`);
  }
}
