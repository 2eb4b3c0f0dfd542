// A lane agent with its display API in a process of its own, for the e2e test that kills or
// freezes it: an offline lane (enrolled to a server that is not there), printing one officer
// link and one traveller link on stdout, then running until it is killed.
// Run: node --import tsx tests/e2e/desk-agent-child.ts DATA_DIR STATIC_DIR (the lane comes from
// kiosk/dist, as the packages resolve outside vitest: `npm run build` first, as `npm test` does).
import { DisplayServer, LaneAgent, writeCredentials, insecureFileKeyStore } from '@checkpoint-lane/kiosk';
import { CHECKPOINT_DEFAULTS } from '@checkpoint-lane/shared';
import pino from 'pino';

const [dataDir, staticDir] = process.argv.slice(2);
if (dataDir === undefined || staticDir === undefined) throw new Error('usage: desk-agent-child DATA STATIC');
writeCredentials(dataDir, {
  serverUrl: 'http://127.0.0.1:9',
  kioskId: 'child',
  token: 't',
  listKey: Buffer.alloc(32, 9).toString('base64'),
  checkpoint: {
    id: 'C-1',
    name: 'Child',
    mode: 'open',
    ...CHECKPOINT_DEFAULTS,
    blockingStatuses: ['F0', 'F1'],
  },
});
const logger = pino({ level: 'silent' });
const agent = await LaneAgent.open({
  dataDir,
  keyStore: insecureFileKeyStore(dataDir),
  scanners: [],
  logger,
  sync: { retry: { baseMs: 60_000, capMs: 60_000 } },
});
await agent.start();
const display = new DisplayServer({ agent, logger, staticDir });
await display.start();
process.stdout.write(
  `${JSON.stringify({ officer: display.mintLink('officer'), traveller: display.mintLink('traveller') })}\n`,
);
