/**
 * Issue 18, must-show 6: every stream conformance vector (conformance/stream/*.json) passes in the
 * Node verifier — its protocol state machine (StreamConsumer), its replica and its decision
 * (decide), the same objects createVerifier wires to the network — stepped event by event on the
 * vector's clock. And the committed vectors are exactly what the generator makes from the service's
 * own frame builders today (a protocol change that forgot them fails here).
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { describe, test } from 'node:test';
import type { Decision, ExpectedError, Vector } from '../../conformance/stream/vector.js';
import { VECTOR_DIR, vectorFiles } from '../../conformance/stream/generate.js';
import { decide } from '../../packages/verifier/src/decide.js';
import { toKeyMap } from '../../packages/verifier/src/jwks.js';
import {
  StreamConsumer,
  StreamHaltedError,
  StreamTamperedError,
} from '../../packages/verifier/src/stream-consumer.js';
import { isRevokdError } from '../../src/core/errors.js';
import {
  RevocationReplica,
  type ReplicaDriver,
  type ReplicaSink,
} from '../../src/replica/revocation-replica.js';

const files = fs
  .readdirSync(VECTOR_DIR)
  .filter((name) => name.endsWith('.json'))
  .sort();

function decisionOf(err: unknown): Decision {
  if (!isRevokdError(err)) throw err;
  switch (err.code) {
    case 'ERR_TOKEN_REVOKED':
      return 'revoked';
    case 'ERR_STORE_UNAVAILABLE':
      return 'unavailable';
    default:
      return 'invalid';
  }
}

function errorOf(err: unknown): ExpectedError {
  if (err instanceof StreamTamperedError) return 'tampered';
  if (err instanceof StreamHaltedError) return 'halted';
  return 'protocol';
}

/** Runs one vector; every mismatch fails with the step's index. */
async function run(vector: Vector): Promise<void> {
  let nowMs = 0;
  let sink: ReplicaSink | undefined;
  const driver: ReplicaDriver = {
    start: async (s) => {
      sink = s;
    },
    stop: async () => {},
  };
  const replica = new RevocationReplica({
    driver,
    maxStalenessMs: vector.consumer.max_staleness_ms,
    failMode: vector.consumer.fail_mode,
    failOpenMaxMs: vector.consumer.max_token_lifetime_seconds * 1000,
    pruneIntervalMs: 60_000,
    now: () => nowMs,
  });
  await replica.start();
  const keys = toKeyMap(vector.jwks.keys, () => false);
  const consumer = new StreamConsumer({
    sink: sink!,
    issuer: vector.consumer.issuer,
    resolveKey: (kid) => keys.get(kid),
  });
  let halted = false;
  for (const [index, step] of vector.steps.entries()) {
    const where = `${vector.name}, step ${index}`;
    if ('connect' in step) {
      assert.equal(halted, false, `${where}: a halted consumer never connects again`);
      assert.equal(
        consumer.position ?? null,
        step.connect.expect_last_event_id,
        `${where}: Last-Event-ID`,
      );
      consumer.connected(
        step.connect.protocol_header === null ? undefined : Number(step.connect.protocol_header),
      );
      continue;
    }
    nowMs = step.now_ms;
    if ('receive' in step) {
      if (halted) continue;
      let raised: ExpectedError | undefined;
      try {
        await consumer.receive({
          event: step.receive.event,
          data: step.receive.data,
          id: step.receive.id ?? undefined,
        });
      } catch (err) {
        raised = errorOf(err);
        // What the SSE driver does on each (sse-driver.ts).
        if (raised === 'tampered') consumer.resync();
        if (raised === 'halted') {
          sink!.halt(err as Error);
          halted = true;
        }
      }
      assert.equal(raised, step.expect_error, `${where}: ${step.receive.event} event`);
      continue;
    }
    let got: Decision;
    try {
      await decide(vector.tokens[step.check.token], replica, {
        issuer: vector.consumer.issuer,
        audience: vector.consumer.audience,
        clockToleranceSeconds: vector.consumer.clock_tolerance_seconds,
        maxLifetimeSeconds: vector.consumer.max_token_lifetime_seconds,
        nowSec: Math.floor(nowMs / 1000),
        resolveKey: (kid) => keys.get(kid),
      });
      got = 'accept';
    } catch (err) {
      got = decisionOf(err);
    }
    assert.equal(got, step.check.expect, `${where}: token ${step.check.token}`);
  }
}

describe('stream conformance vectors', () => {
  test("there are vectors, and they are what the generator makes from the service's frame builders", async () => {
    const generated = await vectorFiles();
    assert.deepEqual(
      files,
      [...generated.keys()].sort(),
      'run `npx tsx conformance/stream/generate.ts`',
    );
    for (const [name, text] of generated)
      assert.equal(
        fs.readFileSync(path.join(VECTOR_DIR, name), 'utf8'),
        text,
        `${name} is out of date: run the generator`,
      );
  });

  for (const file of files) {
    const vector = JSON.parse(fs.readFileSync(path.join(VECTOR_DIR, file), 'utf8')) as Vector;
    test(`${vector.name}: ${vector.description.slice(0, 80)}`, () => run(vector));
  }
});
