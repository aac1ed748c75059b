/**
 * The revocation stream through real HAProxy, configured from scripts/cluster/haproxy.cfg.template
 * (issue 18): an event reaches a consumer behind HAProxy at once, not ~200 ms later. Without
 * `option http-no-delay` HAProxy sends the stream's small writes as "more to follow" and the kernel
 * holds each one ~200 ms — every event, heartbeats included.
 *
 * Timing on a shared machine is noisy, so no single event is held to a deadline: the MEDIAN of 20
 * (revoke answered 200 → the event parsed behind HAProxy) must be under 50 ms. The bug puts every
 * event near 200 ms, so the median catches it, while a few events slowed by the machine do not
 * fail the test. A stream opened directly on the instance is timed alongside, for the message.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { Cluster, haproxyInstalled } from '../support/cluster.js';
import { openSse, type SseStream } from '../support/sse-client.js';
import {
  STREAM_PATH,
  adminRevoker,
  createStreamClient,
  randomJti,
} from '../support/stream-setup.js';

const REVOCATIONS = 20;
const MEDIAN_LIMIT_MS = 50;
const skip = haproxyInstalled()
  ? false
  : "haproxy is not installed (.ci/run installs Debian's haproxy)";

const median = (values: readonly number[]): number => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
};

describe('the revocation stream through HAProxy', { skip }, () => {
  let cluster: Cluster;

  before(async () => {
    // One instance: the revocation is made where the stream is served, so the time measured is the
    // stream's send path and HAProxy's hop, not propagation between instances.
    cluster = await Cluster.start({
      label: 'haproxy_stream_latency',
      instances: 1,
      haproxy: true,
      env: {
        REVOKD_LOG_LEVEL: 'warn',
        REVOKD_RATE_LIMIT_LOGIN_PER_MINUTE: '0',
        REVOKD_RATE_LIMIT_REVOKE_PER_MINUTE: '0',
      },
    });
  });
  after(async () => {
    await cluster?.stop();
  });

  test(`revocation events reach a consumer behind HAProxy at once (median of ${REVOCATIONS} under ${MEDIAN_LIMIT_MS} ms)`, async (t) => {
    const instance = cluster.instance(0);
    const reader = await createStreamClient((args) => cluster.cli(args), 'behind-haproxy');
    const streams: SseStream[] = [];
    try {
      const viaProxy = await openSse(`${cluster.url}${STREAM_PATH}`, {
        authorization: reader.basic,
      });
      const direct = await openSse(`${instance.url}${STREAM_PATH}`, {
        authorization: reader.basic,
      });
      streams.push(viaProxy, direct);
      await Promise.all(streams.map((s) => s.snapshot()));
      const revoke = await adminRevoker(instance.url);
      const throughProxy: number[] = [];
      const onInstance: number[] = [];
      for (let i = 0; i < REVOCATIONS; i++) {
        const jti = randomJti();
        await revoke('jti', jti);
        const answeredAt = Date.now();
        // The event may be sent before the 200 is read here: that counts as 0, not as negative.
        const arrival = async (s: SseStream): Promise<number> =>
          Math.max(
            0,
            (
              await s.until(`revocation ${i + 1}`, (events) =>
                events.find((e) => e.event === 'revocation' && e.data.jti === jti),
              )
            ).receivedAtMs - answeredAt,
          );
        const [proxied, straight] = await Promise.all([arrival(viaProxy), arrival(direct)]);
        throughProxy.push(proxied);
        onInstance.push(straight);
      }
      const summary =
        `through HAProxy: median ${median(throughProxy)} ms, each ${throughProxy.join(' ')}; ` +
        `directly on the instance: median ${median(onInstance)} ms, each ${onInstance.join(' ')}`;
      t.diagnostic(summary);
      assert.ok(
        median(throughProxy) < MEDIAN_LIMIT_MS,
        `events are held back by HAProxy (is \`option http-no-delay\` in the template?): ${summary}`,
      );
    } finally {
      for (const s of streams) s.close();
    }
  });
});
