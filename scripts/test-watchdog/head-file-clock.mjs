// Which test file is silent, as node's test runner lets a reporter see it.
//
// With --test-concurrency=N several files run at once, but only the HEAD file — the first, in run
// order, that has not finished — reaches the reporters live. Node holds back the events of a file
// behind it until that file's turn comes (and flushes them with its next event), so a file behind
// the head looks silent while it may be working fine: judging it would kill healthy runs. The head
// is judged instead: its clock runs from its last event, or from the moment it became the head.
// A file that hangs behind the head is caught once the files before it finish and it becomes the
// head. Seen in node 20's runner; file-level events (enqueue, dequeue, complete) always arrive live.
import path from 'node:path';

/** @typedef {{ file: string, done: boolean, lastActivityMs: number }} FileState */

export class HeadFileClock {
  /** @type {FileState[]} in run order */
  #files = [];
  /** @type {Map<string, FileState>} */
  #byPath = new Map();

  /**
   * Notes one reporter event.
   * @param {string} type e.g. 'test:pass'
   * @param {{ file?: string, name?: string, nesting?: number } | undefined} data
   * @param {number} nowMs
   */
  record(type, data, nowMs) {
    const file = data?.file;
    if (typeof file !== 'string') return; // run-level events (plan, summary diagnostics)
    let state = this.#byPath.get(file);
    if (state === undefined) {
      // A file's first event is its file-level enqueue, in run order.
      state = { file, done: false, lastActivityMs: nowMs };
      this.#files.push(state);
      this.#byPath.set(file, state);
    }
    state.lastActivityMs = nowMs;
    if (
      isFileLevel(data) &&
      (type === 'test:complete' || type === 'test:pass' || type === 'test:fail') &&
      !state.done
    ) {
      const wasHead = this.head() === state;
      state.done = true;
      // Only when the head itself finished does a new file become the head, and only then does
      // that file's clock start now (its earlier silence was node holding it back). A file behind
      // the head finishing must not reset the head's clock: with many short files finishing in
      // the other slot, a hung head would never look silent (seen: a hang that outlived 15 min).
      const head = this.head();
      if (wasHead && head !== undefined) head.lastActivityMs = Math.max(head.lastActivityMs, nowMs);
    }
  }

  /** @returns {FileState | undefined} the first file in run order that has not finished */
  head() {
    return this.#files.find((state) => !state.done);
  }

  /**
   * @param {number} nowMs
   * @param {number} limitMs
   * @returns {FileState | undefined} the head file, when it has been silent for `limitMs` or more
   */
  silentHead(nowMs, limitMs) {
    const head = this.head();
    return head !== undefined && nowMs - head.lastActivityMs >= limitMs ? head : undefined;
  }
}

/** The event of a file as a whole (its name is the file's path), not of a test inside it. */
function isFileLevel(data) {
  return (
    data.nesting === 0 && typeof data.name === 'string' && path.resolve(data.name) === data.file
  );
}
