// The console's session check. `GET /api/v1/session` answers "not signed in" with a 200
// `{signedIn:false}` (a 401 on every first load would show as an error in the browser's console).
import { api } from './api.js';
import type { Session, SessionAnswer } from './types.js';

/** The session in an answer of `GET /api/v1/session`, or null when nobody is signed in. */
export function sessionOf(answer: SessionAnswer): Session | null {
  return answer.signedIn ? answer : null;
}

/** Asks the server who is signed in; null when nobody is (throws ApiError when it cannot tell). */
export async function currentSession(): Promise<Session | null> {
  return sessionOf(await api<SessionAnswer>('GET', '/api/v1/session', undefined, { quiet401: true }));
}

/**
 * The pages an account's navigation shows, in the given order: an account limited to a province
 * only `arrivals` (the server refuses it every other admin route); viewers neither `accounts`
 * nor `traces`.
 */
export function pagesFor<R extends string>(account: Session['account'], all: readonly R[]): R[] {
  if (account.province !== undefined && account.province !== null) return all.filter((r) => r === 'arrivals');
  return all.filter((r) => (r !== 'accounts' && r !== 'traces') || account.role === 'admin');
}

/** Whether an account is limited to a province (and so to the arrivals page). */
export function isProvinceScoped(account: Session['account']): boolean {
  return account.province !== undefined && account.province !== null;
}
