// The console's session (`/api/v1/session`): sign-in, who-am-I, sign-out and password change.
// Schema and type come from one TypeBox definition (see accounts.ts for the account shapes).
import Type from 'typebox';
import { AccountViewSchema, NewPassword } from './accounts.js';

/** `POST /session` body (a username of any case; bounded, not patterned, so probes learn nothing). */
export const SignInBodySchema = Type.Object({
  username: Type.String({ minLength: 1, maxLength: 64 }),
  password: Type.String({ minLength: 1, maxLength: 200 }),
});
/** `POST /session` body. */
export type SignInBody = Type.Static<typeof SignInBodySchema>;

/** The answer of the session routes: who is signed in, the CSRF token and when the session ends. */
export const SessionInfoSchema = Type.Object({
  signedIn: Type.Literal(true),
  account: Type.Pick(AccountViewSchema, ['username', 'displayName', 'role', 'province']),
  csrfToken: Type.String({ description: 'send as "X-CSRF-Token" with every change' }),
  expiresAt: Type.String({ format: 'date-time', description: 'when the session ends if left idle' }),
});
/** A live session as the API shows it. */
export type SessionInfo = Type.Static<typeof SessionInfoSchema>;

/** `GET /session` with no live session: an answer, not an error (the console asks on every load). */
export const NoSessionSchema = Type.Object({ signedIn: Type.Literal(false) });
/** No live session. */
export type NoSession = Type.Static<typeof NoSessionSchema>;

/** `GET /session` answer: the session, or `{signedIn:false}` (a 200 either way). */
export const SessionAnswerSchema = Type.Union([SessionInfoSchema, NoSessionSchema]);
/** `GET /session` answer. */
export type SessionAnswer = Type.Static<typeof SessionAnswerSchema>;

/** `POST /session/password` body (answered 204). */
export const PasswordChangeBodySchema = Type.Object({
  currentPassword: Type.String({ minLength: 1, maxLength: 200 }),
  newPassword: NewPassword,
});
/** `POST /session/password` body. */
export type PasswordChangeBody = Type.Static<typeof PasswordChangeBodySchema>;
