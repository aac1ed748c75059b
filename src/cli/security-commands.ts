/**
 * Containment and audit commands: `block`, `unblock`, `audit verify`, `audit export`. A block made
 * here is enforced by a running server within about a second (it reloads its blocks every second);
 * the sessions it revokes reach the server through the change feed.
 */
import fs from 'node:fs';
import { once } from 'node:events';
import type { Writable } from 'node:stream';
import type { Command } from 'commander';
import {
  auditEntries,
  presentAuditEntry,
  presentVerification,
} from '../app/security/audit-verify.js';
import { type AuditCheckpoint, parseCheckpoint } from '../app/security/audit-trail.js';
import { blockIp, unblockIp } from '../app/security/ip-blocks.js';
import { RevokdError } from '../core/errors.js';
import { emit } from './output.js';
import { entryProgress, whileWorking } from './progress.js';
import { withContext, withStore } from './with-context.js';
import { UUID_PATTERN } from '../core/ids.js';

const CLI_ACTOR = { type: 'cli' as const, id: null };
/** Exit status of `audit verify` when the chain is broken (1 and 2 are errors, see output.ts). */
export const EXIT_CHAIN_BROKEN = 3;
const iso = (ms: number | null): string | null => (ms === null ? null : new Date(ms).toISOString());

async function write(out: Writable, chunk: string): Promise<void> {
  if (!out.write(chunk)) await once(out, 'drain');
}

export function registerSecurityCommands(program: Command): void {
  program
    .command('block')
    .description(
      'block an address or range: every session created or refreshed from it is revoked, and it gets 403 on every route',
    )
    .argument('<ip|cidr>', 'an IP address (a /32 or /128) or a CIDR range')
    .requiredOption('--reason <text>', 'why (kept with the block and in the audit log)')
    .option(
      '--duration <seconds>',
      'lift the block by itself after this many seconds (default: until unblocked)',
    )
    .option('--force', 'allow a range broader than /8 (IPv4) or /32 (IPv6)')
    .option('--json', 'machine-readable output')
    .action(
      async (
        target: string,
        opts: { reason: string; duration?: string; force?: boolean; json?: boolean },
      ) => {
        const json = opts.json === true;
        await withContext(json, async (ctx) => {
          let durationSeconds: number | undefined;
          if (opts.duration !== undefined) {
            if (!/^\d{1,9}$/.test(opts.duration))
              throw new RevokdError(
                'ERR_VALIDATION',
                '--duration must be a whole number of seconds',
              );
            durationSeconds = Number(opts.duration);
          }
          // One transaction revokes every session from the range: no count to show, only that it is working.
          const { block, report } = await whileWorking(
            json,
            `blocking ${target} and revoking its sessions`,
            blockIp(ctx, ctx.security.blocks, {
              target,
              reason: opts.reason,
              durationSeconds,
              source: 'manual',
              actor: CLI_ACTOR,
              force: opts.force === true,
            }),
          );
          emit(
            json,
            {
              id: block.id,
              cidr: block.cidr,
              reason: block.reason,
              source: block.source,
              created_at: iso(block.createdAtMs),
              expires_at: iso(block.expiresAtMs),
              revoked_sessions: report.sessions,
              revoked_api_tokens: report.apiTokens.length,
            },
            `blocked ${block.cidr} (${block.id})${block.expiresAtMs === null ? '' : ` until ${iso(block.expiresAtMs)}`}: revoked ${report.sessions} session(s) and ${report.apiTokens.length} API token(s)`,
          );
        });
      },
    );

  program
    .command('unblock')
    .description('lift a block (tokens it revoked stay revoked)')
    .argument('<id>', 'the block id (see GET /api/v1/security/blocks)')
    .option('--json', 'machine-readable output')
    .action(async (id: string, opts: { json?: boolean }) => {
      const json = opts.json === true;
      await withContext(json, async (ctx) => {
        if (!UUID_PATTERN.test(id))
          throw new RevokdError('ERR_VALIDATION', 'block id must be a UUID');
        const lifted = await unblockIp(ctx, ctx.security.blocks, id.toLowerCase(), CLI_ACTOR);
        emit(
          json,
          { id: lifted.id, cidr: lifted.cidr, lifted_at: iso(lifted.liftedAtMs) },
          `unblocked ${lifted.cidr} (${lifted.id})`,
        );
      });
    });

  const audit = program.command('audit').description('the hash-chained audit log');
  audit
    .command('verify')
    .description(
      `check the whole chain; exit ${EXIT_CHAIN_BROKEN} and name the first bad entry when an entry was edited, deleted or reordered`,
    )
    .option(
      '--checkpoint <file>',
      'a checkpoint as served by GET /api/v1/security/audit/checkpoint (JSON): also fail when the chain no longer contains its head',
    )
    .option('--json', 'machine-readable output')
    .action(async (opts: { json?: boolean; checkpoint?: string }) => {
      const json = opts.json === true;
      await withStore(json, async (store, trail) => {
        const checkpoint =
          opts.checkpoint === undefined ? undefined : readCheckpointFile(opts.checkpoint);
        if (checkpoint !== undefined && !trail.signatureHolds(checkpoint)) {
          throw new RevokdError(
            'ERR_VALIDATION',
            `${opts.checkpoint}: the checkpoint signature does not verify (not signed by this service's secret, or edited)`,
          );
        }
        const shown = entryProgress(json, 'verified');
        const { result, head } = await trail
          .verifyAll(store, {
            onProgress: shown.onProgress,
            ...(checkpoint === undefined ? {} : { expectHead: checkpoint }),
          })
          .finally(shown.done);
        emit(
          json,
          presentVerification(result),
          result.ok
            ? `audit log intact: ${result.entries} entries (head seq ${head.seq}, hash ${head.hash})${checkpoint === undefined ? '' : `; contains checkpoint head seq ${checkpoint.seq}`}`
            : `audit log BROKEN at entry ${result.firstBadSeq}: ${result.problem} (${result.firstBadSeq - 1} entries verified before it)`,
        );
        if (!result.ok) process.exitCode = EXIT_CHAIN_BROKEN;
      });
    });

  audit
    .command('export')
    .description(
      'write the log as NDJSON (one entry per line, every field including prev_hash and hash) for a SIEM',
    )
    .option('--after <seq>', 'only entries after this seq (resume an earlier export)', '0')
    .option('--out <file>', 'write to this file (mode 0600) instead of stdout')
    .option('--json', 'with --out: print the summary as JSON')
    .action(async (opts: { after: string; out?: string; json?: boolean }) => {
      const json = opts.json === true;
      await withStore(json, async (store) => {
        if (!/^\d{1,15}$/.test(opts.after))
          throw new RevokdError('ERR_VALIDATION', '--after must be a whole number (a seq)');
        // Opened here, synchronously, so a bad path is a clean error before anything is read.
        const out: Writable =
          opts.out === undefined
            ? process.stdout
            : fs.createWriteStream('', { fd: fs.openSync(opts.out, 'w', 0o600) });
        let count = 0;
        let lastSeq: number | null = null;
        let readerGone = false;
        if (out === process.stdout) {
          process.stdout.on('error', (err: NodeJS.ErrnoException) => {
            if (err.code === 'EPIPE') readerGone = true;
          });
        }
        const shown = entryProgress(json, 'exported');
        try {
          for await (const entry of auditEntries(store, {
            afterSeq: Number(opts.after),
            onProgress: shown.onProgress,
          })) {
            if (readerGone) return;
            await write(out, `${JSON.stringify(presentAuditEntry(entry))}\n`);
            count++;
            lastSeq = entry.seq;
          }
        } catch (err) {
          // The reader went away (`… | head`): stop quietly, like any Unix filter.
          if (out === process.stdout && (err as { code?: unknown }).code === 'EPIPE') return;
          throw err;
        } finally {
          shown.done();
          if (out !== process.stdout) {
            out.end();
            await once(out, 'close');
          }
        }
        const summary = { exported: count, last_seq: lastSeq, out: opts.out ?? null };
        const human = `exported ${count} entries${lastSeq === null ? '' : ` (through seq ${lastSeq}; resume with --after ${lastSeq})`}`;
        // stdout is the export itself unless --out was given.
        if (opts.out === undefined) process.stderr.write(`${human}\n`);
        else emit(json, summary, `${human} to ${opts.out}`);
      });
    });
}

/** A checkpoint file as saved from the API; a clear error when it is missing or not one. */
function readCheckpointFile(file: string): AuditCheckpoint {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch {
    throw new RevokdError('ERR_VALIDATION', `${file}: cannot read the checkpoint file`);
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new RevokdError('ERR_VALIDATION', `${file}: the checkpoint is not valid JSON`);
  }
  const parsed = parseCheckpoint(value);
  if (typeof parsed === 'string') throw new RevokdError('ERR_VALIDATION', `${file}: ${parsed}`);
  return parsed;
}
