// Killing everything a process started, for the test watchdog (reporter.mjs): the test-file
// processes and what they spawned — revokd servers, HAProxy, Redis, helpers. Many of those run
// detached, in process groups of their own (test/support/server-process.ts), so killing the test
// run's own group would leave them orphaned, holding ports and databases. Linux reads /proc; other
// systems (macOS) ask `ps`.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';

/** @typedef {{ pid: number, ppid: number, pgid: number }} ProcessEntry */

/** @returns {ProcessEntry[]} every process on the machine that this user can see */
function processTable() {
  if (!fs.existsSync('/proc/self/stat')) {
    return execFileSync('ps', ['-A', '-o', 'pid=,ppid=,pgid='], { encoding: 'utf8' })
      .trim()
      .split('\n')
      .map((line) => {
        const [pid, ppid, pgid] = line.trim().split(/\s+/).map(Number);
        return { pid, ppid, pgid };
      });
  }
  const table = [];
  for (const name of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    let stat;
    try {
      stat = fs.readFileSync(`/proc/${name}/stat`, 'utf8');
    } catch {
      continue; // exited meanwhile
    }
    // "pid (comm) state ppid pgrp …": comm may hold spaces and parentheses, so split after the last ')'.
    const [, ppid, pgid] = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    table.push({ pid: Number(name), ppid: Number(ppid), pgid: Number(pgid) });
  }
  return table;
}

/** @returns {ProcessEntry[]} the processes descended from `rootPid` (children, theirs, …), not itself */
export function descendantsOf(rootPid) {
  const table = processTable();
  const found = [];
  const parents = new Set([rootPid]);
  for (let grew = true; grew;) {
    grew = false;
    for (const entry of table) {
      if (parents.has(entry.ppid) && !parents.has(entry.pid)) {
        parents.add(entry.pid);
        found.push(entry);
        grew = true;
      }
    }
  }
  return found;
}

function signal(target, name) {
  try {
    process.kill(target, name);
  } catch {
    // already gone
  }
}

/**
 * SIGKILLs every descendant of this process, and the process group of each that leads or sits in a
 * group other than this process's own (a detached server and whatever it started). Stops them all
 * first, and looks again until no new one appears: a process killed before its children would
 * leave them reparented to init, out of reach of a walk down from here.
 * @returns {number} how many processes it killed
 */
export function killDescendants() {
  const ownGroup = processTable().find((entry) => entry.pid === process.pid)?.pgid;
  const stopped = new Map();
  for (let round = 0; round < 10; round++) {
    const fresh = descendantsOf(process.pid).filter((entry) => !stopped.has(entry.pid));
    if (fresh.length === 0) break;
    for (const entry of fresh) {
      stopped.set(entry.pid, entry);
      signal(entry.pid, 'SIGSTOP');
    }
  }
  for (const entry of stopped.values()) {
    // Never our own group: it holds the runner (and npm) too.
    if (ownGroup !== undefined && entry.pgid !== ownGroup && entry.pgid > 1)
      signal(-entry.pgid, 'SIGKILL');
    signal(entry.pid, 'SIGKILL');
  }
  return stopped.size;
}
