import type { Generations } from '../types.js';
import type { SqliteDatabase } from './open-database.js';

/** Generations for a subject, read inside the caller's transaction when there is one. */
export function readGenerationsIn(db: SqliteDatabase, sub: string, clientId: string): Generations {
  const rows = db.prepare(`SELECT scope, generation FROM generations
    WHERE (scope = 'global' AND target = '*') OR (scope = 'user' AND target = ?) OR (scope = 'client' AND target = ?)`).all(sub, clientId) as Array<{ scope: string; generation: number }>;
  const of = (scope: string): number => rows.find((r) => r.scope === scope)?.generation ?? 0;
  return { gen: of('global'), ugen: of('user'), cgen: of('client') };
}
