/** Ending a test's detached child (spawned with `detached: true`, so it leads its own process group). */
import type { ChildProcess } from 'node:child_process';

/** SIGKILLs the child's whole process group and resolves once the child has exited (at once if it had). */
export async function killProcessGroup(child: ChildProcess | undefined): Promise<void> {
  if (child === undefined || child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  try {
    process.kill(-(child.pid as number), 'SIGKILL');
  } catch {
    /* gone */
  }
  await exited;
}
