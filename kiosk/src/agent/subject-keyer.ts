import { createHash, createHmac } from 'node:crypto';
import {
  canonicalSubjectKey,
  subjectKeyFromDigest,
  type ListName,
  type Subject,
} from '@checkpoint-lane/shared';

/** Maps a subject to its keyed hash (the lists' key) with the lane's list key K. */
export type SubjectKeyer = (subject: Subject) => bigint;

/** The lane's subject keyer: first 8 bytes of HMAC-SHA256(K, canonical subject). */
export function createSubjectKeyer(listKey: Uint8Array): SubjectKeyer {
  return (subject) =>
    subjectKeyFromDigest(createHmac('sha256', listKey).update(canonicalSubjectKey(subject), 'utf8').digest());
}

/**
 * The keyer each list is keyed with now. One key for both lists in normal work; during a key
 * rotation one list may already be swapped to the new key while the other still decides with the
 * old one (each list's table is keyed with exactly one key, swapped with it in one transaction).
 */
export interface LaneKeyers {
  keyerFor(list: ListName): SubjectKeyer;
}

/** Both lists keyed with one key. */
export function singleKeyers(keyer: SubjectKeyer): LaneKeyers {
  return { keyerFor: () => keyer };
}

/**
 * Each list keyed with the key its table is keyed with now: `keyIdOf(list)` (the store's record,
 * switched with the table in one transaction) looked up in `keyerOf` (the held keys). A list
 * keyed with a key not held (emptied at start, see lane-open.ts) gets `fallback`'s.
 */
export function listKeyers(
  keyIdOf: (list: ListName) => number,
  keyerOf: (keyId: number) => SubjectKeyer | null,
  fallback: () => SubjectKeyer,
): LaneKeyers {
  return { keyerFor: (list) => keyerOf(keyIdOf(list)) ?? fallback() };
}

/** A one-way fingerprint of a raw payload, kept only in memory to spot repeats of unreadable codes. */
export function payloadFingerprint(text: string): string {
  return createHash('sha256').update(text, 'utf8').digest('base64url').slice(0, 22);
}
