/**
 * Runs a command to its end, unless it goes quiet: a child that prints nothing for `silenceMs` is
 * killed (its whole process group) and reported as such. For tests whose failure mode is a hang —
 * a deadlock must fail the test with a clear message, not freeze the suite. Bounded by silence,
 * not by total time, so a slow (shared, loaded) machine does not fail a child that is progressing.
 */
import { spawn } from 'node:child_process';

export interface BoundedRun {
  /** Exit code; null when a signal ended the child. */
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  /** stdout and stderr, interleaved as they arrived. */
  readonly output: string;
  /** True when this helper killed the child for printing nothing for `silenceMs`. */
  readonly killedForSilence: boolean;
}

export interface BoundedRunOptions {
  readonly silenceMs: number;
  readonly env?: NodeJS.ProcessEnv;
  readonly cwd?: string;
}

export async function runBounded(
  command: string,
  args: readonly string[],
  options: BoundedRunOptions,
): Promise<BoundedRun> {
  // Its own process group, so the kill reaches whatever the child started too.
  const child = spawn(command, args, {
    cwd: options.cwd,
    env: options.env ?? process.env,
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  let killedForSilence = false;
  let timer: NodeJS.Timeout | undefined;
  const armSilenceTimer = (): void => {
    clearTimeout(timer);
    timer = setTimeout(() => {
      killedForSilence = true;
      try {
        process.kill(-(child.pid as number), 'SIGKILL');
      } catch {
        /* already gone */
      }
    }, options.silenceMs);
  };
  const onData = (chunk: Buffer): void => {
    output += chunk.toString();
    armSilenceTimer();
  };
  child.stdout.on('data', onData);
  child.stderr.on('data', onData);
  armSilenceTimer();
  const [code, signal] = await new Promise<[number | null, NodeJS.Signals | null]>(
    (resolve, reject) => {
      child.once('error', reject);
      child.once('close', (c, s) => resolve([c, s]));
    },
  );
  clearTimeout(timer);
  return { code, signal, output, killedForSilence };
}
