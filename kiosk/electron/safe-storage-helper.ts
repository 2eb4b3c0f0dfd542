// The safe-storage helper: a windowless Electron run that seals or opens the lane's wrapping key
// with Electron's `safeStorage`, which exists only in an Electron main process after `ready`. The
// lane agent (kiosk/src/secrets/safe-storage-key-store.ts) starts it with one request line on
// stdin and reads one answer line on stdout, then it exits. Every rule is a plain function in
// safe-storage-policy.ts; this file only wires them to Electron.
import { Socket } from 'node:net';
import type { Readable } from 'node:stream';
import { app, safeStorage } from 'electron';
import {
  MAX_REQUEST_BYTES,
  SAFE_STORAGE_APP_NAME,
  answerLine,
  answerRequest,
  parseHelperConfig,
  type HelperAnswer,
  type SafeStorageLike,
} from './safe-storage-policy.js';

/** Writes the answer line, then leaves. */
function finish(answer: HelperAnswer, exitCode = 0): void {
  process.stdout.write(answerLine(answer), () => {
    app.exit(exitCode);
  });
}

/**
 * The request stream. On Windows Electron replaces `process.stdin` with an empty stream (its main
 * process is a GUI program), so the inherited pipe is opened from descriptor 0 directly.
 */
function requestStream(): Readable {
  return process.platform === 'win32'
    ? new Socket({ fd: 0, readable: true, writable: false })
    : process.stdin;
}

/** Reads stdin to its end, up to MAX_REQUEST_BYTES. */
function readRequest(): Promise<string> {
  return new Promise((resolve, reject) => {
    let input: Readable;
    try {
      input = requestStream();
    } catch (error) {
      reject(error instanceof Error ? error : new Error(String(error)));
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    input.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_REQUEST_BYTES) {
        input.destroy();
        reject(new Error(`the request is over ${String(MAX_REQUEST_BYTES)} bytes`));
        return;
      }
      chunks.push(chunk);
    });
    input.once('end', () => {
      resolve(Buffer.concat(chunks).toString('utf8').trim());
    });
    input.once('error', reject);
  });
}

const parsed = parseHelperConfig(process.env);
if (!parsed.ok) {
  finish({ ok: false, code: 'unavailable', message: `safe-storage helper: ${parsed.message}` }, 2);
} else {
  app.setName(SAFE_STORAGE_APP_NAME);
  app.setPath('userData', parsed.config.profileDir);
  app.disableHardwareAcceleration();
  app.commandLine.appendSwitch('disable-gpu');
  if (parsed.config.passwordStore !== null)
    app.commandLine.appendSwitch('password-store', parsed.config.passwordStore);
  app.dock?.hide();

  const storage: SafeStorageLike = {
    // The synchronous calls are used on purpose; see answerRequest in safe-storage-policy.ts.
    // eslint-disable-next-line @typescript-eslint/no-deprecated
    isEncryptionAvailable: () => safeStorage.isEncryptionAvailable(),
    getSelectedStorageBackend: () => safeStorage.getSelectedStorageBackend(),
    // eslint-disable-next-line @typescript-eslint/no-deprecated
    encryptString: (plainText) => safeStorage.encryptString(plainText),
    // eslint-disable-next-line @typescript-eslint/no-deprecated
    decryptString: (encrypted) => safeStorage.decryptString(encrypted),
  };

  Promise.all([readRequest(), app.whenReady()]).then(
    ([request]) => {
      finish(answerRequest(request, storage, process.platform));
    },
    (error: unknown) => {
      const message = error instanceof Error ? error.message : String(error);
      finish({ ok: false, code: 'unavailable', message: `safe-storage helper: ${message}` }, 1);
    },
  );
}
