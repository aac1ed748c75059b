/**
 * Progress of long CLI commands (`audit verify`, `audit export`, `revoke ip`, `block`), for a person
 * watching a terminal: one line on stderr, rewritten in place, erased when the command is done, so
 * what remains on screen is the command's answer alone.
 *
 * Only when stderr is a terminal and --json was not given: a script piping or capturing the output,
 * or reading JSON, sees nothing from here (no `\r` noise in its logs).
 */

/** How often the line is rewritten (the first one is written at once). */
const REDRAW_EVERY_MS = 250;

export interface Progress {
  /** The current state, e.g. "verified 12000 entries"; drawn at most every REDRAW_EVERY_MS. */
  update(text: string): void;
  /** Erases the line (call before printing the answer, and on failure). */
  done(): void;
}

const SILENT: Progress = { update: () => undefined, done: () => undefined };

export function progressShown(json: boolean, stream: NodeJS.WriteStream = process.stderr): boolean {
  return !json && stream.isTTY === true;
}

export function progress(json: boolean, stream: NodeJS.WriteStream = process.stderr): Progress {
  if (!progressShown(json, stream)) return SILENT;
  let lastDrawMs = 0;
  let drawn = false;
  return {
    update(text) {
      const now = Date.now();
      if (drawn && now - lastDrawMs < REDRAW_EVERY_MS) return;
      lastDrawMs = now;
      drawn = true;
      // \r: back to the start of the line; ESC[K: erase what a longer earlier text left.
      stream.write(`\r${text}…\x1b[K`);
    },
    done() {
      if (drawn) stream.write('\r\x1b[K');
      drawn = false;
    },
  };
}

/** Counts for paged work: "verified 3000 entries…". */
export function entryProgress(
  json: boolean,
  verb: string,
): { onProgress: (entries: number) => void; done: () => void } {
  const p = progress(json);
  p.update(`${verb} 0 entries`);
  return { onProgress: (entries) => p.update(`${verb} ${entries} entries`), done: () => p.done() };
}

/**
 * For one step that cannot report counts (a single transaction revoking every session from a range):
 * the label and the seconds elapsed, so a long wait on a terminal is visibly not a hang.
 */
export async function whileWorking<T>(json: boolean, label: string, work: Promise<T>): Promise<T> {
  const p = progress(json);
  const startedAt = Date.now();
  p.update(label);
  const timer = setInterval(
    () => p.update(`${label} (${Math.round((Date.now() - startedAt) / 1000)} s)`),
    1000,
  );
  try {
    return await work;
  } finally {
    clearInterval(timer);
    p.done();
  }
}
