// The packaged lane's Electron entry (electron-builder's `main`). A packaged Electron runs this
// whatever script its command line names, so a safe-storage helper run is recognised by its
// switch; every other run is the kiosk shell.
import { SAFE_STORAGE_HELPER_SWITCH } from './safe-storage-policy.js';

if (process.argv.includes(SAFE_STORAGE_HELPER_SWITCH)) await import('./safe-storage-helper.js');
else await import('./main.js');
