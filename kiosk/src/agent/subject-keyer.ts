import { createHash, createHmac } from 'node:crypto';
import { canonicalSubjectKey, subjectKeyFromDigest, type Subject } from '@checkpoint-lane/shared';

/** Maps a subject to its keyed hash (the lists' key) with the lane's list key K. */
export type SubjectKeyer = (subject: Subject) => bigint;

/** The lane's subject keyer: first 8 bytes of HMAC-SHA256(K, canonical subject). */
export function createSubjectKeyer(listKey: Uint8Array): SubjectKeyer {
  return (subject) =>
    subjectKeyFromDigest(createHmac('sha256', listKey).update(canonicalSubjectKey(subject), 'utf8').digest());
}

/** A one-way fingerprint of a raw payload, kept only in memory to spot repeats of unreadable codes. */
export function payloadFingerprint(text: string): string {
  return createHash('sha256').update(text, 'utf8').digest('base64url').slice(0, 22);
}
