// checkpoint-admin: parses the command line, checks the server and token, and hands the command
// to its group (one file per group: lists, checkpoints, lanes, scans/alerts, accounts,
// officers; admin-io.ts holds what they share).
import { parseArgs } from 'node:util';
import { checkServerUrl } from '@checkpoint-lane/shared';
import axios, { AxiosError } from 'axios';
import { ACCOUNT_OPTIONS, runAccounts } from './accounts-commands.js';
import { EXIT, UsageError, type AdminContext, type AdminIo } from './admin-io.js';
import { CHECKPOINT_OPTIONS, runCheckpoints } from './checkpoints-commands.js';
import { LANE_OPTIONS, runLanes } from './lanes-commands.js';
import { LIST_OPTIONS, runLists } from './lists-commands.js';
import { OFFICER_OPTIONS, runOfficers } from './officers-commands.js';
import { PASS_OPTIONS, runPasses } from './passes-commands.js';
import { runScans, SCAN_OPTIONS } from './scans-commands.js';
import { runTrace, TRACE_OPTIONS } from './trace-commands.js';

export { EXIT, progressBar, table, type AdminIo } from './admin-io.js';

const HELP = `Usage: checkpoint-admin [--server URL] [--token T] [--json] <command>

  lists import health|whitelist FILE.csv [--partial] [--replace]
  lists signing-keys
  lists rotate-signing-key
  lists keys
  lists rotate-key --checkpoint ID
  checkpoints add --id ID --name NAME --mode open|closed [--freshness-budget SEC]
                  [--blocking F0,F1] [--repeat-window SEC] [--key-scope SCOPE]
                  [--vehicle-mode on|off] [--location LAT,LON|none]
  checkpoints list
  enroll CHECKPOINT [--ttl SEC]
  kiosks
  revoke KIOSK_ID
  scans [--subject ID] [--checkpoint ID] [--from TIME] [--to TIME] [--decision green|red|amber] [--limit N]
  alerts [--limit N]
  trace SUBJECT… [--window MIN] [--from ISO] [--to ISO] [--hops 1|2] [--csv FILE]
  accounts add USERNAME --role admin|viewer [--display-name NAME] [--province CODE]
  accounts list
  accounts set USERNAME [--role admin|viewer] [--display-name NAME] [--province CODE|none]
               [--disable|--enable] [--password]
  officers list
  officers set ID [--name NAME] [--role officer|supervisor] [--checkpoints A,B | --all-checkpoints]
                  [--pin | --pin-from-env]
  officers disable ID
  officers enable ID
  officers card ID --checkpoint CP [--days N] [--svg FILE]   staff card for unattended lanes (QR as SVG)
  passes keys
  passes rotate-key [--compromised]
  passes withdraw-key KEY_ID
  passes revoke PASS_ID

Account passwords come from $CHECKPOINT_ACCOUNT_PASSWORD, else the first line of stdin.
Officer PINs (never on the command line): at least the server's minimum digits (6 unless
checkpoint-server --officer-pin-min-digits says 4..8; \`officers list\` shows it), at most 8.
--pin-from-env reads $CHECKPOINT_OFFICER_PIN; --pin reads it too, else the first line of stdin.
A new officer needs a PIN; without one an existing officer keeps theirs, and unset --name,
--role, --checkpoints keep their values.
passes (thẻ qua chốt): rotate-key makes a new pass signing key; lanes keep accepting the passes the
old key signed until they expire. --compromised withdraws the old key: lanes refuse every pass it
signed. withdraw-key does that to any key by id (a new key signs when it was the current one);
\`passes keys\` lists withdrawn keys too. revoke refuses one pass at every lane once lanes sync (SSE
\`passes\` tells them at once).
trace (truy vết): contacts of the subjects at the same checkpoint within ± --window minutes
(default 15) or in the same vehicle, over --from..--to (default the last 14 days); --hops 2 adds
their contacts. Progress on stderr; prints a table of contacts (subjects shown), or writes CSV.

--server defaults to $CHECKPOINT_SERVER, --token to $CHECKPOINT_ADMIN_TOKEN. Use https:// (plain
http:// to another machine works but warns: the token would travel unencrypted; see docs/tls.md).
Exit codes: 0 ok, 1 rows rejected or request refused, 2 usage, 3 server unreachable.`;

/** Every flag: the global ones and each group's (any flag parses anywhere; a group reads its own). */
const OPTIONS = {
  server: { type: 'string' },
  token: { type: 'string' },
  json: { type: 'boolean', default: false },
  help: { type: 'boolean', short: 'h', default: false },
  ...LIST_OPTIONS,
  ...CHECKPOINT_OPTIONS,
  ...LANE_OPTIONS,
  ...SCAN_OPTIONS,
  ...TRACE_OPTIONS,
  ...ACCOUNT_OPTIONS,
  ...OFFICER_OPTIONS,
  ...PASS_OPTIONS,
} as const;

const parse = (argv: readonly string[]) =>
  parseArgs({ args: [...argv], allowPositionals: true, strict: true, options: OPTIONS });

/** A command group: it gets the words after the options (`cmd sub …`) and every flag. */
type Group = (
  ctx: AdminContext,
  words: readonly string[],
  flags: ReturnType<typeof parse>['values'],
) => Promise<number>;

/** The command groups, by the top-level command words each serves. */
const GROUPS: readonly { readonly commands: readonly string[]; readonly run: Group }[] = [
  { commands: ['lists'], run: runLists },
  { commands: ['checkpoints'], run: runCheckpoints },
  { commands: ['enroll', 'kiosks', 'revoke'], run: runLanes },
  { commands: ['scans', 'alerts'], run: runScans },
  { commands: ['trace'], run: runTrace },
  { commands: ['accounts'], run: runAccounts },
  { commands: ['officers'], run: runOfficers },
  { commands: ['passes'], run: runPasses },
];

const COMMANDS: ReadonlyMap<string, Group> = new Map(
  GROUPS.flatMap((g) => g.commands.map((c) => [c, g.run] as const)),
);

/** Runs one admin command; resolves with the process exit code. */
export async function runAdmin(argv: readonly string[], io: AdminIo): Promise<number> {
  let parsed;
  try {
    parsed = parse(argv);
  } catch (e) {
    io.stderr.write(`checkpoint-admin: ${(e as Error).message}\n\n${HELP}\n`);
    return EXIT.usage;
  }
  const { values: v, positionals: p } = parsed;
  if (v.help || p.length === 0) {
    (v.help ? io.stdout : io.stderr).write(`${HELP}\n`);
    return v.help ? EXIT.ok : EXIT.usage;
  }
  // An unknown command says so first, not "no server" (that would send a typo hunting for a URL).
  const group = COMMANDS.get(p[0] ?? '');
  if (group === undefined) return usage(io, `unknown command: ${p.join(' ')}`);
  const server = (v.server ?? io.env.CHECKPOINT_SERVER ?? '').replace(/\/+$/, '');
  const token = v.token ?? io.env.CHECKPOINT_ADMIN_TOKEN ?? '';
  if (server === '') return usage(io, 'no server: pass --server URL or set CHECKPOINT_SERVER');
  if (token === '') return usage(io, 'no admin token: pass --token T or set CHECKPOINT_ADMIN_TOKEN');
  const transport = checkServerUrl(server, { allowInsecureHttp: true });
  if (!transport.ok) return usage(io, `--server ${transport.message}`);
  if (transport.transport === 'insecure-http') {
    // A warning, not a refusal: an admin may have no other way in, but should know the cost.
    io.stderr.write(
      `checkpoint-admin: warning: ${server} is plain http:// to another machine: the admin token and ` +
        'everything sent travel unencrypted; use https:// (see docs/tls.md)\n',
    );
  }
  const ctx: AdminContext = {
    http: axios.create({
      baseURL: server,
      headers: { authorization: `Bearer ${token}` },
      validateStatus: () => true,
      maxBodyLength: Infinity,
      maxContentLength: Infinity,
      timeout: 0,
    }),
    io,
    json: v.json,
    server,
  };
  try {
    return await group(ctx, p, v);
  } catch (e) {
    if (e instanceof UsageError) return usage(io, e.message);
    if (e instanceof AxiosError && e.response === undefined) {
      io.stderr.write(
        `checkpoint-admin: cannot reach the server at ${server} (${e.code ?? e.message}); is checkpoint-server running?\n`,
      );
      return EXIT.unreachable;
    }
    if (e instanceof Error && 'code' in e && (e as NodeJS.ErrnoException).code === 'ENOENT') {
      io.stderr.write(`checkpoint-admin: ${e.message}\n`);
      return EXIT.usage;
    }
    throw e;
  }
}

function usage(io: AdminIo, message: string): number {
  io.stderr.write(`checkpoint-admin: ${message}\n(see --help)\n`);
  return EXIT.usage;
}
