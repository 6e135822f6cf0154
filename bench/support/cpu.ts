import { readdirSync, readFileSync } from 'node:fs';

const TICKS_PER_SECOND = 100; // USER_HZ on Linux

/** CPU seconds (user + system) the machine spent busy, over all cores, since boot. */
export function machineBusySeconds(): number {
  const [cpu] = readFileSync('/proc/stat', 'utf8').split('\n');
  const [user, nice, system, , , irq, softirq, steal] = cpu!.trim().split(/\s+/).slice(1).map(Number) as number[];
  return (user! + nice! + system! + irq! + softirq! + steal!) / TICKS_PER_SECOND;
}

/** CPU seconds of each process whose pid is in `pids` or whose parent chain leads to one of them. */
export function treeCpuSeconds(roots: number[]): number {
  const stats = readdirSync('/proc').filter((d) => /^\d+$/.test(d)).flatMap((pid) => {
    try {
      // The command may hold spaces and parentheses: fields start after the last ')'.
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      return [{ pid: Number(pid), ppid: Number(fields[1]), cpu: (Number(fields[11]) + Number(fields[12])) / TICKS_PER_SECOND }];
    } catch {
      return []; // gone meanwhile
    }
  });
  const inTree = new Set(roots);
  for (let grew = true; grew; ) {
    grew = false;
    for (const s of stats) {
      if (inTree.has(s.pid) || !inTree.has(s.ppid)) continue;
      inTree.add(s.pid);
      grew = true;
    }
  }
  return stats.filter((s) => inTree.has(s.pid)).reduce((sum, s) => sum + s.cpu, 0);
}

/** The pids of processes whose command line (its arguments joined by spaces) contains `needle`. */
export function pidsMatching(needle: string): number[] {
  return readdirSync('/proc').filter((d) => /^\d+$/.test(d)).flatMap((pid) => {
    try {
      return readFileSync(`/proc/${pid}/cmdline`, 'utf8').replaceAll('\0', ' ').includes(needle) ? [Number(pid)] : [];
    } catch {
      return [];
    }
  });
}
