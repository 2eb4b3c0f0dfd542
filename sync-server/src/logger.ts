import pino, { type Logger } from 'pino';

/**
 * A URL as it may appear in logs: subjects in entry paths and every query value (scan
 * searches carry subject IDs) are removed. Personal data never reaches a log line.
 */
export function redactUrl(url: string): string {
  const q = url.indexOf('?');
  const path = q === -1 ? url : url.slice(0, q);
  const safe = path.replace(/\/entries\/[^/]+/, '/entries/:subject');
  return q === -1 ? safe : `${safe}?…`;
}

interface LoggedRequest {
  method?: string;
  url?: string;
  ip?: string;
  id?: string;
}

/** The server's pino logger: auth headers redacted, URLs stripped of personal data. */
export function createLogger(options: { level?: string; destination?: pino.DestinationStream } = {}): Logger {
  return pino(
    {
      level: options.level ?? 'info',
      redact: {
        paths: ['req.headers.authorization', 'headers.authorization', 'authorization'],
        censor: '[redacted]',
      },
      serializers: {
        req: (req: LoggedRequest) => ({ method: req.method, url: redactUrl(req.url ?? ''), ip: req.ip }),
        res: (res: { statusCode?: number }) => ({ statusCode: res.statusCode }),
        err: pino.stdSerializers.err,
      },
    },
    options.destination,
  );
}
