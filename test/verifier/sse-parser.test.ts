/** The SSE parser against the WHATWG event-stream rules, fed the way a network feeds it: in pieces. */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { SseLimitError, SseParser, type SseEvent } from '../../packages/verifier/src/sse-parser.js';

function parse(
  chunks: readonly (string | Uint8Array)[],
  limits = { maxLineLength: 1000, maxEventLength: 1000 },
): { events: SseEvent[]; retries: number[]; parser: SseParser } {
  const events: SseEvent[] = [];
  const retries: number[] = [];
  const parser = new SseParser({
    ...limits,
    onEvent: (e) => events.push(e),
    onRetry: (ms) => retries.push(ms),
  });
  for (const c of chunks) parser.push(typeof c === 'string' ? new TextEncoder().encode(c) : c);
  return { events, retries, parser };
}

/** Every way to cut `text` into two chunks gives the same events as one chunk. */
function sameWhereverCut(text: string): SseEvent[] {
  const whole = parse([text]).events;
  const bytes = new TextEncoder().encode(text);
  for (let i = 1; i < bytes.length; i++)
    assert.deepEqual(parse([bytes.slice(0, i), bytes.slice(i)]).events, whole, `cut at byte ${i}`);
  return whole;
}

describe('SSE parser', () => {
  test('LF, CRLF and CR line ends, wherever the chunks are cut (CRLF split across chunks included)', () => {
    for (const eol of ['\n', '\r\n', '\r']) {
      const events = sameWhereverCut(
        `event: revocation${eol}id: 7${eol}data: {"a":1}${eol}${eol}event: heartbeat${eol}data: {}${eol}${eol}`,
      );
      assert.deepEqual(
        events,
        [
          { event: 'revocation', data: '{"a":1}', id: '7' },
          { event: 'heartbeat', data: '{}', id: undefined },
        ],
        JSON.stringify(eol),
      );
    }
  });

  test('multi-line data joins with LF; one leading space is dropped, a second one kept; a colonless line is a field with no value', () => {
    const { events } = parse(['data: first\ndata:second\ndata:  third\ndata\n\n']);
    assert.deepEqual(events, [
      { event: 'message', data: 'first\nsecond\n third\n', id: undefined },
    ]);
  });

  test('comments and unknown fields are ignored; an event without data is not dispatched; retry must be digits', () => {
    const { events, retries } = parse([
      ': keep-alive\nretry: 250\nretry: 1.5\nfoo: bar\nevent: nothing\n\n:x\ndata: y\n\n',
    ]);
    assert.deepEqual(events, [{ event: 'message', data: 'y', id: undefined }]);
    assert.deepEqual(retries, [250]);
  });

  test('the last event id persists across events; an id with NUL is ignored; a leading BOM is dropped', () => {
    const { events, parser } = parse([
      '\uFEFFid: 5\ndata: a\n\ndata: b\n\nid: bad\0id\ndata: c\n\n',
    ]);
    assert.deepEqual(
      events.map((e) => e.id),
      ['5', undefined, undefined],
    );
    assert.equal(parser.lastEventId, '5');
  });

  test('a multi-byte character cut between chunks arrives whole', () => {
    const bytes = new TextEncoder().encode('data: café ✓\n\n');
    const { events } = parse([bytes.slice(0, 10), bytes.slice(10, 13), bytes.slice(13)]);
    assert.equal(events[0]?.data, 'café ✓');
  });

  test('a line or an event over its limit throws instead of growing without end', () => {
    assert.throws(
      () => parse(['data: ' + 'x'.repeat(2000)], { maxLineLength: 100, maxEventLength: 10_000 }),
      SseLimitError,
    );
    assert.throws(
      () =>
        parse(
          [
            'data: ' +
              'x'.repeat(60) +
              '\n'.repeat(1) +
              ('data: ' + 'x'.repeat(60) + '\n').repeat(3),
          ],
          { maxLineLength: 100, maxEventLength: 150 },
        ),
      SseLimitError,
    );
  });
});
