// The part of Node's `node:crypto` that pass-verify.ts uses. Declared here (rather than pulling in
// the Node typings for the whole package) so the rest of the domain cannot reach a Node API;
// pass-verify.ts is the one shared module that runs only in Node (its own package export).
declare module 'node:crypto' {
  interface KeyObject {
    readonly type: string;
  }
  function createPublicKey(key: { key: { kty: 'OKP'; crv: 'Ed25519'; x: string }; format: 'jwk' }): KeyObject;
  function verify(algorithm: null, data: Uint8Array, key: KeyObject, signature: Uint8Array): boolean;
}
