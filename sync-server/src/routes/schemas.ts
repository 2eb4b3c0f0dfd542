import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type {
  FastifyBaseLogger,
  FastifyInstance,
  RawReplyDefaultExpression,
  RawRequestDefaultExpression,
  RawServerDefault,
} from 'fastify';
import { DateMs } from '@checkpoint-lane/shared';
import Type from 'typebox';

/** The Fastify instance routes are registered on (TypeBox gives validation and types). */
export type App = FastifyInstance<
  RawServerDefault,
  RawRequestDefaultExpression,
  RawReplyDefaultExpression,
  FastifyBaseLogger,
  TypeBoxTypeProvider
>;

/** Every error answer: a stable code and a message for people. */
export const ErrorSchema = Type.Object({ error: Type.String(), message: Type.String() });

/** Standard error answers to document on a route. */
export const errors = (...codes: number[]): Record<number, typeof ErrorSchema> =>
  Object.fromEntries(codes.map((c) => [c, ErrorSchema]));

/** `{list}` path parameter. */
export const ListParams = Type.Object({
  list: Type.Union([Type.Literal('health'), Type.Literal('whitelist')]),
});

/** Epoch ms, or null for an open end. */
export const EpochOrNull = Type.Union([DateMs(), Type.Null()]);

/** Admin auth for the OpenAPI document: the bearer token, or a console session cookie (+ CSRF header). */
export const adminSecurity = [{ adminToken: [] }, { sessionCookie: [] }];
/** Kiosk bearer auth, for the OpenAPI document. */
export const kioskSecurity = [{ kioskToken: [] }];
