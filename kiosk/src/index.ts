// The lane's public entry point: the agent and the pieces that tests, benchmarks and tools reuse.
// Code outside kiosk/src imports these by the package name '@checkpoint-lane/kiosk', never by a
// path into kiosk/src (a lint rule keeps it so; vitest maps the name to this file, tsx and node
// to kiosk/dist).
export { LaneAgent, type LaneAgentOptions } from './agent/lane-agent.js';
export { DecisionLoop, type LaneDecision } from './agent/decision-loop.js';
export { createSubjectKeyer, type SubjectKeyer } from './agent/subject-keyer.js';
export { createSubjectSealer, type EphemeralReuse } from './agent/subject-sealer.js';
export { hashPin, OfficerRegistry } from './agent/officers.js';
export { readCredentials, writeCredentials, type LaneCredentials } from './sync/credentials.js';
export type { LaneLock } from './agent/lane-open.js';
export {
  KEY_STORE_KINDS,
  type KeyStore,
  type KeyStoreKind,
  type KeyStoreProblem,
} from './secrets/key-store.js';
export { insecureFileKeyStore, openKeyStore, type KeyStoreChoice } from './secrets/key-store-choice.js';
export { FileKeyStore, INSECURE_KEY_FILE } from './secrets/file-key-store.js';
export {
  TpmKeyStore,
  TPM_SEAL_FILE,
  parseTpmPcrs,
  type TpmKeyStoreOptions,
} from './secrets/tpm-key-store.js';
export {
  IDENTITY_FILE,
  LaneVault,
  SECRETS_FILE,
  type LaneIdentity,
  type VaultProblem,
} from './secrets/lane-vault.js';
export type { SyncStatus } from './sync/lane-sync.js';
export {
  LaneStore,
  type LaneHealthEntry,
  type LaneWhitelistEntry,
  type NewLaneRecord,
} from './store/lane-store.js';
export { uuidV7 } from './store/uuid-v7.js';
export { SuffixFramer } from './scanners/framing.js';
export { StdinScanner } from './scanners/stdin-scanner.js';
export { SerialScanner } from './scanners/serial-scanner.js';
export { DisplayServer, type DisplayAgent, type DisplayView } from './display-api/display-server.js';
export { profileJsonSchema } from './profiles/profile-json-schema.js';
export {
  SimulatedRelay,
  SerialRelay,
  buildRelay,
  parseRelayChoice,
  relayFrames,
  relayTiming,
  formatHexFrame,
  lcusFrame,
  modbusWriteCoil,
  parseHexFrame,
  type Relay,
  type RelayFrames,
  type RelayProfile,
  type RecordedFrame,
} from './relays/index.js';
export {
  loadHardwareProfile,
  validateHardwareProfile,
  type HardwareProfile,
  type ProfileResult,
} from './profiles/hardware-profile.js';
