import { afterEach, describe, expect, it, vi } from 'vitest';
import { Sessions } from '../worker/sessions.js';

describe('a worker’s places for recordings', () => {
  afterEach(() => vi.useRealTimers());

  it('admits up to its size, declines the next, and takes the freed place', () => {
    const sessions = new Sessions(2, 60_000);
    expect(sessions.admit('a')).toBe(true);
    expect(sessions.admit('b')).toBe(true);
    expect(sessions.admit('c')).toBe(false);
    sessions.release('a');
    expect(sessions.admit('c')).toBe(true);
    expect(sessions.inUse).toBe(2);
  });

  it('a retried request for the same recording takes no second place', () => {
    const sessions = new Sessions(1, 60_000);
    expect(sessions.admit('a')).toBe(true);
    expect(sessions.admit('a')).toBe(true);
    expect(sessions.inUse).toBe(1);
  });

  it('frees a place whose cleanup never came once its lease ends, counted from the last admission', () => {
    vi.useFakeTimers();
    const sessions = new Sessions(1, 1_000);
    sessions.admit('a');
    vi.advanceTimersByTime(800);
    sessions.admit('a'); // asked again: the lease starts over
    vi.advanceTimersByTime(800);
    expect(sessions.admit('b')).toBe(false);
    vi.advanceTimersByTime(200);
    expect(sessions.admit('b')).toBe(true);
  });
});
