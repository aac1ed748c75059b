/** Generation counters: read for stamping, bumped atomically by revocations. */
import type { Generations } from '../types.js';
import type { SqlRunner } from './sql-runner.js';

/** Generations for a subject, read inside the caller's transaction when there is one. */
export async function readGenerationsIn(sql: SqlRunner, sub: string, clientId: string): Promise<Generations> {
  const rows = await sql.rows<{ scope: string; generation: number }>(`SELECT scope, generation FROM generations
    WHERE (scope = 'global' AND target = '*') OR (scope = 'user' AND target = $1) OR (scope = 'client' AND target = $2)`, [sub, clientId]);
  const of = (scope: string): number => rows.find((r) => r.scope === scope)?.generation ?? 0;
  return { gen: of('global'), ugen: of('user'), cgen: of('client') };
}

/**
 * One bump, atomic whatever else runs: the upsert takes the row lock, so concurrent bumps on any
 * number of instances queue on it and each returns its own new value (none is lost).
 */
export async function bumpGeneration(sql: SqlRunner, scope: 'user' | 'client' | 'global', target: string): Promise<number> {
  const row = await sql.one<{ generation: number }>(`INSERT INTO generations (scope, target, generation) VALUES ($1, $2, 1)
    ON CONFLICT (scope, target) DO UPDATE SET generation = generations.generation + 1 RETURNING generation`, [scope, target]);
  return row!.generation;
}
