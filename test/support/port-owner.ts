/**
 * Whether the socket listening on a TCP port belongs to a given process group — so a test server's
 * readiness probe knows it reached its own process. `freePort()` only finds a port free at that
 * moment: with several test files starting servers at once, another file's server can take the
 * same port first, and its /readyz 200 would pass for ours (seen: a test "started" a server that
 * never ran). Linux /proc only; elsewhere the answer is `undefined` (unknown) and callers trust
 * the probe as before.
 */
import fs from 'node:fs';

const LISTEN = '0A';

/** Inodes of the sockets listening on `port` (IPv4 and IPv6, any local address). */
function listeningInodes(port: number): Set<string> | undefined {
  const hexPort = port.toString(16).toUpperCase().padStart(4, '0');
  const inodes = new Set<string>();
  let readAny = false;
  for (const table of ['/proc/net/tcp', '/proc/net/tcp6']) {
    let text: string;
    try {
      text = fs.readFileSync(table, 'utf8');
    } catch {
      continue;
    }
    readAny = true;
    for (const line of text.split('\n').slice(1)) {
      const f = line.trim().split(/\s+/);
      if (f.length > 9 && f[1]!.endsWith(`:${hexPort}`) && f[3] === LISTEN) inodes.add(f[9]!);
    }
  }
  return readAny ? inodes : undefined;
}

/** Pids whose process group is `pgid` (a detached child leads its own group). */
function groupMembers(pgid: number): number[] {
  const pids: number[] = [];
  for (const entry of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = fs.readFileSync(`/proc/${entry}/stat`, 'utf8');
      // Fields after the command's closing parenthesis: state, ppid, pgrp, …
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (Number(fields[2]) === pgid) pids.push(Number(entry));
    } catch {
      // exited meanwhile
    }
  }
  return pids;
}

/** true / false when /proc can tell; undefined when it cannot (not Linux). */
export function portListenerInGroup(port: number, pgid: number): boolean | undefined {
  const inodes = listeningInodes(port);
  if (inodes === undefined) return undefined;
  if (inodes.size === 0) return false;
  for (const pid of groupMembers(pgid)) {
    let fds: string[];
    try {
      fds = fs.readdirSync(`/proc/${pid}/fd`);
    } catch {
      continue;
    }
    for (const fd of fds) {
      try {
        const link = fs.readlinkSync(`/proc/${pid}/fd/${fd}`);
        if (link.startsWith('socket:[') && inodes.has(link.slice(8, -1))) return true;
      } catch {
        // closed meanwhile
      }
    }
  }
  return false;
}
