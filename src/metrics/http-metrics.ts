/** Request counts and latency, and the GET /metrics route. STUB. */
import type { FastifyInstance } from 'fastify';
import type { AppContext } from '../app/context.js';

export function installHttpMetrics(_app: FastifyInstance, _ctx: AppContext): void {}
