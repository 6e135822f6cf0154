import { readFile } from 'node:fs/promises';

/**
 * Samples the resident memory of a process and all its descendants (a worker
 * and the ffmpeg it spawns) every few milliseconds; `stop()` gives the peak in MiB.
 * Linux /proc only.
 */
export function samplePeakMemory(pid: number, everyMs = 5) {
  let peak = 0;
  let running = true;
  const loop = (async () => {
    while (running) {
      peak = Math.max(peak, await treeRssKiB(pid).catch(() => 0));
      await new Promise((r) => setTimeout(r, everyMs));
    }
  })();
  return {
    async stop(): Promise<number> {
      running = false;
      await loop;
      return peak / 1024;
    },
  };
}

async function treeRssKiB(pid: number): Promise<number> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  const rss = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0);
  const children = (await readFile(`/proc/${pid}/task/${pid}/children`, 'utf8').catch(() => '')).split(/\s+/).filter(Boolean).map(Number);
  const nested = await Promise.all(children.map((child) => treeRssKiB(child).catch(() => 0)));
  return rss + nested.reduce((a, b) => a + b, 0);
}
