/**
 * The wake-up drivers a process's replica uses, from REVOKD_FEED_WAKEUP (core/config.ts): the
 * store's own notifications (PostgreSQL NOTIFY), Redis pub/sub, or none (the poll alone).
 */
import type { Logger } from 'pino';
import type { Config } from '../../core/config.js';
import { hasFeedNotifications } from '../../stores/ports/revocation-log.js';
import type { RevokdStore } from '../../stores/types.js';
import type { FeedWakeup } from '../drivers/poll-driver.js';
import type { FeedAnnouncer } from '../revocation-replica.js';
import { throttledWarn } from './throttled-warn.js';

export interface FeedWakeups {
  readonly wakeups: readonly FeedWakeup[];
  readonly announcers: readonly FeedAnnouncer[];
}

export async function feedWakeupsFor(
  config: Config,
  store: RevokdStore,
  log: Logger,
): Promise<FeedWakeups> {
  switch (config.feedWakeup) {
    case 'none':
      return { wakeups: [], announcers: [] };
    case 'notify': {
      if (!hasFeedNotifications(store))
        throw new Error(
          `REVOKD_FEED_WAKEUP=notify: the ${store.backend} store has no notifications`,
        );
      const { PostgresListenWakeup } = await import('./postgres-listen.js');
      const wakeup = new PostgresListenWakeup(
        () => store.connectListener(),
        store.feedNotifyChannel,
        throttledWarn(
          log,
          "the PostgreSQL feed listener is down: other instances' revocations arrive with the poll (REVOKD_FEED_POLL_MS) until it reconnects",
        ),
      );
      return { wakeups: [wakeup], announcers: [] };
    }
    case 'redis': {
      const { RedisPubSubWakeup } = await import('./redis-pubsub.js');
      const wakeup = new RedisPubSubWakeup(
        config.redisUrl as string,
        config.redisPrefix,
        throttledWarn(
          log,
          "the Redis feed subscription is down: other instances' revocations arrive with the poll (REVOKD_FEED_POLL_MS) until it reconnects",
        ),
      );
      return { wakeups: [wakeup], announcers: [wakeup] };
    }
  }
}
