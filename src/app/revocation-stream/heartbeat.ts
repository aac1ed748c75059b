/**
 * When a stream sends a heartbeat, and what it says. A heartbeat tells the consumer "you have
 * everything this instance knows, and it knew it at `at`": so it is sent only while this instance's
 * own view is current. While the instance cannot read its store, its view ages and it sends NO
 * heartbeat (rather than a `"stale": true` one): the consumer's staleness clock then runs on, and
 * past its `maxStalenessMs` it fails closed (or open, bounded) exactly as if the stream were down.
 */

/** What a heartbeat needs of the replica (RevocationReplica fits). */
export interface ViewFreshness {
  isStale(): boolean;
  /** Milliseconds since the view was last confirmed current against the store. */
  stalenessMs(): number;
}

export interface HeartbeatTiming {
  readonly heartbeatMs: number;
  /** The replica confirms its view at least this often while the store answers. */
  readonly feedPollMs: number;
}

/**
 * The time this instance's view was last confirmed current, if that is recent enough to vouch for
 * it: within one poll plus one heartbeat interval (a healthy view is confirmed every poll), and
 * never once the replica itself counts as stale. Undefined: send no heartbeat.
 */
export function currentAsOf(
  view: ViewFreshness,
  timing: HeartbeatTiming,
  nowMs: number,
): number | undefined {
  if (view.isStale()) return undefined;
  const staleness = view.stalenessMs();
  if (staleness > timing.feedPollMs + timing.heartbeatMs) return undefined;
  return nowMs - Math.max(0, staleness);
}

/** A heartbeat is due when nothing was written to the stream for a whole interval. */
export function heartbeatDue(lastWriteMs: number, nowMs: number, heartbeatMs: number): boolean {
  return nowMs - lastWriteMs >= heartbeatMs;
}
