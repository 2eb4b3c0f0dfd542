// The admin API's list keys K (`/api/v1/admin/lists/keys…`): each key scope's current key id and
// its rotation. Key bytes never appear here: only lanes (through `GET /api/v1/kiosk/list-key`) get them.
import Type from 'typebox';
import { CheckpointId } from '../../schemas/checkpoint-schemas.js';
import { ListKeyId } from '../kiosk-api.js';

/** The scope a checkpoint whose key scope was never set belongs to. */
export const DEFAULT_KEY_SCOPE = 'fleet';

/**
 * A key scope's name (a province code such as `HCM`, or a checkpoint's own): the checkpoints that
 * share one list key K. Unset means `fleet`.
 */
export const KeyScope = Type.String({
  pattern: '^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$',
  description: `the checkpoints sharing one list key; unset: ${DEFAULT_KEY_SCOPE}`,
});
/** A key scope's name. */
export type KeyScope = Type.Static<typeof KeyScope>;

/** `POST /lists/keys/rotate` body: the checkpoint whose scope gets a new key. */
export const ListKeyRotateRequestSchema = Type.Object({ checkpointId: CheckpointId });
/** `POST /lists/keys/rotate` body. */
export type ListKeyRotateRequest = Type.Static<typeof ListKeyRotateRequestSchema>;

/** `POST /lists/keys/rotate` answer: the scope rotated, its new key id, every checkpoint in it. */
export const ListKeyRotateAnswerSchema = Type.Object({
  scope: KeyScope,
  keyId: ListKeyId,
  checkpoints: Type.Array(CheckpointId),
});
/** `POST /lists/keys/rotate` answer. */
export type ListKeyRotateAnswer = Type.Static<typeof ListKeyRotateAnswerSchema>;

/** One key scope: its current key's id and birth (null until a lane of it first needs the key), its checkpoints. */
export const ListKeyScopeViewSchema = Type.Object({
  scope: KeyScope,
  keyId: Type.Union([ListKeyId, Type.Null()]),
  createdAt: Type.Union([Type.Integer(), Type.Null()]),
  checkpoints: Type.Array(CheckpointId),
});
/** One key scope. */
export type ListKeyScopeView = Type.Static<typeof ListKeyScopeViewSchema>;

/** `GET /lists/keys`: every scope with a key or a checkpoint, by name. */
export const ListKeysAnswerSchema = Type.Object({ scopes: Type.Array(ListKeyScopeViewSchema) });
/** `GET /lists/keys` answer. */
export type ListKeysAnswer = Type.Static<typeof ListKeysAnswerSchema>;
