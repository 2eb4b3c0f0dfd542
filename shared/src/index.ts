// The domain of checkpoint-lane: pure TypeScript, no Node, Electron or network APIs.
export * from './schemas/list-schemas.js';
export * from './schemas/checkpoint-schemas.js';
export * from './schemas/scan-schemas.js';
export * from './subjects/subject.js';
export * from './decision/reason-codes.js';
export * from './decision/decision-messages.js';
export * from './payloads/payload-types.js';
export * from './personal-id/check-personal-id.js';
export { PROVINCE_CODES } from './personal-id/province-codes.js';
export * from './decision/decide.js';
export * from './payloads/parse-payload.js';
export { normalizePayload, MAX_PAYLOAD_LENGTH } from './payloads/normalize-payload.js';
export { parsePlate, type PlateParts } from './payloads/parse-vehicle-plate.js';
export { parseCardSex } from './payloads/parse-chip-id-card.js';
export * from './sync/snapshot-codec.js';
export * from './sync/subject-key-hex.js';
export * from './storage/run-migrations.js';
export * from './schemas/lane-display-schemas.js';
