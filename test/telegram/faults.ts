/** Deterministic fault injection for the fake Bot API server. */
import { mulberry32 } from '../../evaluation/random.js';
import type { Fault } from './protocol.js';

interface RateRule {
  rate: number;
  faults: Fault[];
  /** lower-cased method names; undefined = every method (and downloads) */
  methods?: Set<string>;
}

export class FaultInjector {
  private readonly queued = new Map<string, Fault[]>();
  private rule: RateRule | undefined;
  private readonly random: () => number;

  constructor(seed: number) {
    // separate stream from the id generator so injecting faults never changes ids
    this.random = mulberry32(seed ^ 0x9e3779b9);
  }

  failNext(method: string, fault: Fault, times = 1): void {
    if (!Number.isInteger(times) || times < 1) throw new Error(`failNext: times must be a positive integer, got ${times}`);
    const key = method.toLowerCase();
    const list = this.queued.get(key) ?? [];
    for (let n = 0; n < times; n++) list.push(fault);
    this.queued.set(key, list);
  }

  setFaultRate(rate: number, faults: Fault[], methods?: string[]): void {
    if (!(rate >= 0 && rate <= 1)) throw new Error(`setFaultRate: rate must be within [0, 1], got ${rate}`);
    if (rate === 0) {
      this.rule = undefined;
      return;
    }
    if (faults.length === 0) throw new Error('setFaultRate: at least one fault is required');
    this.rule = { rate, faults: [...faults], methods: methods && new Set(methods.map((m) => m.toLowerCase())) };
  }

  /** The fault to apply to this call, if any. Queued faults win over the random rate. */
  take(method: string): Fault | undefined {
    const key = method.toLowerCase();
    const list = this.queued.get(key);
    if (list && list.length > 0) {
      const fault = list.shift()!;
      if (list.length === 0) this.queued.delete(key);
      return fault;
    }
    const rule = this.rule;
    if (!rule || (rule.methods && !rule.methods.has(key))) return undefined;
    if (this.random() >= rule.rate) return undefined;
    return rule.faults[Math.floor(this.random() * rule.faults.length)];
  }
}
