// The admin API (`/api/v1/admin/…` and `/api/v1/session`): what the console and the CLI say to
// the sync server, one module per group of routes under `admin/`. Schema and type come from one
// TypeBox definition: the server's routes validate and answer with the schemas; the console and
// the CLI import the types only (`import type`, no bundle cost).
export * from './admin/accounts.js';
export * from './admin/session.js';
export * from './admin/officers.js';
export * from './admin/checkpoints.js';
export * from './admin/lists.js';
export * from './admin/list-keys.js';
export * from './admin/scans.js';
export * from './admin/fleet.js';
export * from './admin/traces.js';
export * from './admin/arrivals.js';
