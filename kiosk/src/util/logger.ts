import pino, { type Logger } from 'pino';

/**
 * The agent's root logger: structured JSON on stderr (stdout is kept for `--json` decisions).
 * Never log payloads, subjects or names: log codes, counts and device names.
 */
export function createLogger(level: string = process.env['CHECKPOINT_LOG_LEVEL'] ?? 'info'): Logger {
  return pino({ level, base: { app: 'checkpoint-lane' } }, pino.destination(2));
}

export type { Logger };
