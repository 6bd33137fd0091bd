/** How long a stream waits for a missing event id before it gives up on it. */
export const GAP_HOLD_MS = 5000;

/**
 * Where a reader of the event table stands, and which events it may deliver now.
 *
 * On PostgreSQL two transactions can take ids 7 and 8 and commit 8 first: a reader that
 * delivered 8 and moved its cursor past 7 would never see 7. So delivery stops at the first
 * missing id until that id appears or {@link GAP_HOLD_MS} pass (ids of rolled-back
 * transactions never appear). The wait is timed from when the event after the gap was first
 * seen, so several gaps in one batch cost one wait, not one each.
 */
export class GapHold {
  /** The last id delivered (or skipped as not wanted): the stream's resume point. */
  cursor: number;
  /** Id of the first event seen after a gap → when it was first seen. */
  private readonly firstSeen = new Map<number, number>();
  private held = false;

  constructor(
    cursor: number,
    private readonly holdMs = GAP_HOLD_MS,
  ) {
    this.cursor = cursor;
  }

  /** True while delivery waits at a gap: the reader should look again soon. */
  get holding(): boolean {
    return this.held;
  }

  /**
   * Given the events after the cursor in id order, returns those deliverable now (a prefix)
   * and moves the cursor to the last of them.
   */
  take<T extends { id: number }>(rows: readonly T[], now: number): T[] {
    const out: T[] = [];
    let expected = this.cursor + 1;
    let blocked = false;
    for (const row of rows) {
      if (row.id > expected) {
        const seen = this.firstSeen.get(row.id) ?? now;
        this.firstSeen.set(row.id, seen);
        if (now - seen < this.holdMs) blocked = true;
      }
      expected = row.id + 1;
      if (!blocked) out.push(row);
    }
    this.held = blocked;
    const last = out.at(-1);
    if (last) this.cursor = last.id;
    for (const id of this.firstSeen.keys()) if (id <= this.cursor) this.firstSeen.delete(id);
    return out;
  }
}
