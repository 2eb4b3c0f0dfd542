// The admin API's console accounts (`/api/v1/admin/accounts`, admins only): what each route takes
// and answers. Schema and type come from one TypeBox definition; the server validates and
// serializes with the schemas, the console and the CLI import the types.
import Type from 'typebox';
import { ACCOUNT_ROLES } from '../../vocabulary.js';
import { literalUnion } from '../literal-union.js';
import { SafeText } from '../safe-text.js';

/** Usernames as stored: 3–32 of lowercase letters, digits, `.`, `_`, `-` (input is lowercased first). */
export const USERNAME_PATTERN = '^[a-z0-9._-]{3,32}$';

/** Shortest password accepted (characters). */
export const PASSWORD_MIN_LENGTH = 10;
/** Longest password accepted (characters): scrypt's input stays small. */
export const PASSWORD_MAX_LENGTH = 200;

/** A username as clients send it (any case; stored lowercase). */
export const Username = Type.String({
  pattern: '^[A-Za-z0-9._-]{3,32}$',
  description: 'letters, digits, ".", "_" or "-"; case-insensitive, stored lowercase',
});

/** `admin` changes things; `viewer` only looks. */
export const AccountRoleSchema = literalUnion(ACCOUNT_ROLES);
/** A console account's role. */
export type AccountRole = Type.Static<typeof AccountRoleSchema>;

/** A person's name as the console shows it (no control characters). */
export const DisplayName = SafeText({ minLength: 1, maxLength: 100 });

/** A new password. */
export const NewPassword = Type.String({ minLength: PASSWORD_MIN_LENGTH, maxLength: PASSWORD_MAX_LENGTH });

/** A province (GSO code) an account is limited to: it reads arrivals of that province only. */
export const AccountProvince = Type.Integer({ minimum: 1, maximum: 99 });

/** An account as the API shows it (no password hash, ever). */
export const AccountViewSchema = Type.Object({
  username: Type.String(),
  displayName: Type.String(),
  role: AccountRoleSchema,
  disabled: Type.Boolean(),
  createdAt: Type.Integer(),
  updatedAt: Type.Integer(),
  lastLoginAt: Type.Union([Type.Integer(), Type.Null()]),
  lockedUntil: Type.Union([Type.Integer(), Type.Null()]),
  /** The province the account is limited to (arrivals), null for none. */
  province: Type.Optional(Type.Union([AccountProvince, Type.Null()])),
});
/** An account as the API shows it. */
export type AccountView = Type.Static<typeof AccountViewSchema>;

/** `GET /accounts`: every console account, by username. */
export const AccountListSchema = Type.Object({ accounts: Type.Array(AccountViewSchema) });
/** `GET /accounts` answer. */
export type AccountList = Type.Static<typeof AccountListSchema>;

/** `POST /accounts` body (answered 201 with the `AccountView`). */
export const AccountCreateBodySchema = Type.Object({
  username: Username,
  displayName: DisplayName,
  role: AccountRoleSchema,
  password: NewPassword,
  province: Type.Optional(Type.Union([AccountProvince, Type.Null()])),
});
/** `POST /accounts` body. */
export type AccountCreateBody = Type.Static<typeof AccountCreateBodySchema>;

/** `/accounts/{username}` path parameters. */
export const AccountParamsSchema = Type.Object({ username: Username });
/** `/accounts/{username}` path parameters. */
export type AccountParams = Type.Static<typeof AccountParamsSchema>;

/** `PATCH /accounts/{username}` body: only what changes (answered with the `AccountView`). */
export const AccountUpdateBodySchema = Type.Object({
  displayName: Type.Optional(DisplayName),
  role: Type.Optional(AccountRoleSchema),
  password: Type.Optional(NewPassword),
  disabled: Type.Optional(Type.Boolean()),
  /** null lifts the limit. */
  province: Type.Optional(Type.Union([AccountProvince, Type.Null()])),
});
/** `PATCH /accounts/{username}` body. */
export type AccountUpdateBody = Type.Static<typeof AccountUpdateBodySchema>;
