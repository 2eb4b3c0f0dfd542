import Type from 'typebox';
import { PASSWORD_MAX_LENGTH, PASSWORD_MIN_LENGTH } from '../../auth/passwords.js';

/** Usernames: 3–32 of lowercase letters, digits, `.`, `_`, `-` (input is lowercased first). */
export const USERNAME_PATTERN = '^[a-z0-9._-]{3,32}$';

/** A username as clients send it (any case; stored lowercase). */
export const Username = Type.String({
  pattern: '^[A-Za-z0-9._-]{3,32}$',
  description: 'letters, digits, ".", "_" or "-"; case-insensitive, stored lowercase',
});

/** `admin` changes things; `viewer` only looks. */
export const AccountRoleSchema = Type.Union([Type.Literal('admin'), Type.Literal('viewer')]);

/** A person's name as the console shows it. */
export const DisplayName = Type.String({ minLength: 1, maxLength: 100 });

/** A new password. */
export const NewPassword = Type.String({ minLength: PASSWORD_MIN_LENGTH, maxLength: PASSWORD_MAX_LENGTH });

/** An account as the API shows it (no password hash, ever). */
export const AccountView = Type.Object({
  username: Type.String(),
  displayName: Type.String(),
  role: AccountRoleSchema,
  disabled: Type.Boolean(),
  createdAt: Type.Integer(),
  updatedAt: Type.Integer(),
  lastLoginAt: Type.Union([Type.Integer(), Type.Null()]),
  lockedUntil: Type.Union([Type.Integer(), Type.Null()]),
});
