import { readFile } from 'node:fs/promises';

/** Peaks in MiB: of the whole process tree, and of the ffmpeg processes in it alone. */
export interface PeakMemory {
  treeMiB: number;
  ffmpegMiB: number;
}

/**
 * Samples the resident memory of a process and all its descendants (a worker
 * and the ffmpeg it spawns) every few milliseconds; `stop()` gives the peaks.
 * Linux /proc only.
 */
export function samplePeakMemory(pid: number, everyMs = 5) {
  let tree = 0;
  let ffmpeg = 0;
  let running = true;
  const loop = (async () => {
    while (running) {
      const processes = await processTree(pid).catch(() => []);
      tree = Math.max(tree, sum(processes));
      ffmpeg = Math.max(ffmpeg, sum(processes.filter((p) => p.name === 'ffmpeg')));
      await new Promise((r) => setTimeout(r, everyMs));
    }
  })();
  return {
    async stop(): Promise<PeakMemory> {
      running = false;
      await loop;
      return { treeMiB: tree / 1024, ffmpegMiB: ffmpeg / 1024 };
    },
  };
}

interface Sampled {
  name: string;
  rssKiB: number;
}

const sum = (processes: Sampled[]) => processes.reduce((total, p) => total + p.rssKiB, 0);

async function processTree(pid: number): Promise<Sampled[]> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  const self = { name: /Name:\s+(\S+)/.exec(status)?.[1] ?? '', rssKiB: Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0) };
  const children = (await readFile(`/proc/${pid}/task/${pid}/children`, 'utf8').catch(() => '')).split(/\s+/).filter(Boolean).map(Number);
  const nested = await Promise.all(children.map((child) => processTree(child).catch(() => [])));
  return [self, ...nested.flat()];
}
