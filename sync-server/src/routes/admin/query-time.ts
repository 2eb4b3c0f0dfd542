import { HttpError } from '../../http-error.js';

/** Reads an ISO 8601 time or epoch ms (`bad_time` otherwise); empty or absent is undefined. */
export function parseTime(name: string, text: string | undefined): number | undefined {
  if (text === undefined || text === '') return undefined;
  if (/^\d{1,15}$/.test(text)) return Number(text);
  const t = Date.parse(text);
  if (Number.isNaN(t)) throw new HttpError(400, 'bad_time', `${name} is not an ISO 8601 time or epoch ms`);
  return t;
}
