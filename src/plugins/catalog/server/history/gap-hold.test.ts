import { describe, expect, it } from 'vitest';
import { GapHold } from './gap-hold.ts';

const ids = (...list: number[]) => list.map((id) => ({ id }));
const taken = (rows: Array<{ id: number }>) => rows.map((r) => r.id);

describe('GapHold: a stream never skips an event committed late', () => {
  it('delivers contiguous ids at once and moves the cursor', () => {
    const hold = new GapHold(10, 5000);
    expect(taken(hold.take(ids(11, 12, 13), 0))).toEqual([11, 12, 13]);
    expect(hold.cursor).toBe(13);
    expect(hold.holding).toBe(false);
  });

  it('stops at a gap until the missing id arrives', () => {
    const hold = new GapHold(0, 5000);
    // 2 was taken by a transaction that commits after 3's.
    expect(taken(hold.take(ids(1, 3, 4), 0))).toEqual([1]);
    expect(hold.cursor).toBe(1);
    expect(hold.holding).toBe(true);
    expect(taken(hold.take(ids(3, 4), 1000))).toEqual([]);
    expect(taken(hold.take(ids(2, 3, 4), 2000))).toEqual([2, 3, 4]);
    expect(hold.cursor).toBe(4);
    expect(hold.holding).toBe(false);
  });

  it('gives up on a gap after the hold time (a rolled-back transaction)', () => {
    const hold = new GapHold(0, 5000);
    expect(taken(hold.take(ids(1, 3), 0))).toEqual([1]);
    expect(taken(hold.take(ids(3), 4999))).toEqual([]);
    expect(taken(hold.take(ids(3, 4), 5000))).toEqual([3, 4]);
    expect(hold.cursor).toBe(4);
  });

  it('times every gap from when it was first seen: two gaps cost one wait', () => {
    const hold = new GapHold(0, 5000);
    expect(taken(hold.take(ids(2, 4, 5), 0))).toEqual([]);
    // 1 arrived; the gap before 4 has been waited for since 0 as well.
    expect(taken(hold.take(ids(1, 2, 4, 5), 3000))).toEqual([1, 2]);
    expect(taken(hold.take(ids(4, 5), 5000))).toEqual([4, 5]);
  });

  it('a gap that fills partly keeps its first-seen time', () => {
    const hold = new GapHold(0, 5000);
    expect(taken(hold.take(ids(4), 0))).toEqual([]);
    expect(taken(hold.take(ids(1, 2, 4), 3000))).toEqual([1, 2]);
    // 3 never comes: 4 is released 5 s after it was first seen, not 5 s after 2 arrived.
    expect(taken(hold.take(ids(4), 5000))).toEqual([4]);
  });

  it('delivers nothing and keeps its place when there is nothing new', () => {
    const hold = new GapHold(7, 5000);
    expect(hold.take([], 0)).toEqual([]);
    expect(hold.cursor).toBe(7);
    expect(hold.holding).toBe(false);
  });
});
