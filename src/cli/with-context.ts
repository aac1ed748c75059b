/** Runs a CLI action against the configured store, then closes it (a CLI process must exit). */
import { openAppContext } from '../app/open-app-context.js';
import type { AppContext } from '../app/context.js';
import { loadConfig } from '../core/config.js';
import { fail } from './output.js';
import pino from 'pino';

export async function withContext(json: boolean, action: (ctx: AppContext) => Promise<void>): Promise<void> {
  let ctx;
  try {
    const config = loadConfig();
    // The CLI logs only warnings, to stderr, so stdout stays parseable.
    ctx = await openAppContext(config, { log: pino({ level: 'warn' }, pino.destination(2)) });
    await action(ctx);
  } catch (err) {
    await ctx?.close().catch(() => undefined);
    fail(json, err);
  }
  await ctx.close();
}
