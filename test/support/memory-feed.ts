/**
 * A change feed held in memory for replica tests: records are appended in commit order, the cursor
 * is the count read, and reads can be made to fail (SQLite itself cannot be made unreadable).
 */
import type { RevocationRecord } from '../../src/core/revocation/types.js';
import type { FeedSource } from '../../src/replica/drivers/poll-driver.js';
import { GENESIS_CHAIN } from '../../src/core/revocation/feed-chain.js';
import { chainOver } from '../../src/stores/feed-head.js';

export class MemoryFeed implements FeedSource {
  records: RevocationRecord[] = [];
  failing = false;
  async loadSnapshot() {
    return {
      records: [...this.records],
      globalGeneration: 0,
      userGenerations: [],
      clientGenerations: [],
      cursor: String(this.records.length),
      chain: chainOver(GENESIS_CHAIN, this.records),
    };
  }
  /** The cursor is a count of records read: records are appended in commit order here. */
  async readFeed(after: string) {
    if (this.failing) throw new Error('store unreachable');
    const records = this.records.slice(Number(after));
    return {
      records,
      cursors: records.map((_, i) => String(Number(after) + i + 1)),
      cursor: String(this.records.length),
    };
  }
}
