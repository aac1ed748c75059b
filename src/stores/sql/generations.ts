/** Generation counters: read for stamping, bumped by revocations. */
import type { Generations } from '../types.js';
import { type Proc, all, get } from './procedure.js';

/** Generations for a subject, read inside the caller's transaction when there is one. */
export function* readGenerations(sub: string, clientId: string): Proc<Generations> {
  const rows = yield* all<{ scope: string; generation: number }>(
    `SELECT scope, generation FROM generations
    WHERE (scope = 'global' AND target = '*') OR (scope = 'user' AND target = ?) OR (scope = 'client' AND target = ?)`,
    [sub, clientId],
  );
  const of = (scope: string): number => rows.find((r) => r.scope === scope)?.generation ?? 0;
  return { gen: of('global'), ugen: of('user'), cgen: of('client') };
}

/**
 * One bump, atomic whatever else runs: the upsert takes the row lock (PostgreSQL; SQLite has one
 * writer), so concurrent bumps on any number of instances queue on it and each returns its own new
 * value (none is lost).
 */
export function* bumpGeneration(scope: 'user' | 'client' | 'global', target: string): Proc<number> {
  const row = yield* get<{ generation: number }>(
    `INSERT INTO generations (scope, target, generation) VALUES (?, ?, 1)
    ON CONFLICT (scope, target) DO UPDATE SET generation = generations.generation + 1 RETURNING generation`,
    [scope, target],
  );
  return row!.generation;
}
