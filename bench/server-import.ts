// CSV import: 1M whitelist rows and 100k health rows into a fresh checkpoint-server process
// each run (time, server peak RSS). Run: npx tsx bench/server-import.ts  (RUNS=3 by default)
import { createReadStream, createWriteStream, mkdtempSync, rmSync, statSync } from 'node:fs';
import { once } from 'node:events';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { machine, peakRssMiB, startServer, stats } from './server-bench-support.js';

const RUNS = Number(process.env.RUNS ?? 3);
const ADMIN = 'bench-admin-token-0123456789abcdef';
const dir = mkdtempSync(join(tmpdir(), 'cl-bench-import-'));

async function writeCsv(
  file: string,
  header: string,
  rows: number,
  line: (i: number) => string,
): Promise<void> {
  const out = createWriteStream(file);
  out.write(`${header}\n`);
  for (let i = 0; i < rows; i++) {
    if (!out.write(line(i))) await once(out, 'drain');
  }
  out.end();
  await once(out, 'finish');
}

const CATS = ['shipper', 'green_lane', 'permit', 'official', 'medical', 'other'];
const STATUSES = ['F0', 'F1', 'F2', 'F3', 'recovered'];
const whitelist = join(dir, 'whitelist.csv');
const health = join(dir, 'health.csv');
// Realistic shapes: 12-digit IDs in random order, a few validity windows, some checkpoint sets, names.
const id = (i: number): string =>
  String(79_000_000_000 + ((i * 2_654_435_761) % 999_999_937)).padStart(12, '0');
await writeCsv(
  whitelist,
  'id,category,valid_from,valid_until,checkpoints,name,note',
  1_000_000,
  (i) =>
    `${id(i)},${CATS[i % 6] ?? ''},2021-09-${String(1 + (i % 28)).padStart(2, '0')},2021-10-31,${i % 5 === 0 ? 'HCM-01;HCM-02' : ''},Nguyễn Văn ${i},\n`,
);
await writeCsv(
  health,
  'id,status,since,until,name,note',
  100_000,
  (i) =>
    `${id(i)},${STATUSES[i % 5] ?? ''},2021-09-18T08:00:00+07:00,,Trần Thị ${i},"ổ dịch, quận ${1 + (i % 12)}"\n`,
);

async function run(
  list: 'whitelist' | 'health',
  file: string,
): Promise<{ seconds: number; rss: number; accepted: number }> {
  const data = join(dir, `data-${list}-${Math.random().toString(36).slice(2)}`);
  const server = await startServer(data, ADMIN);
  try {
    const t0 = performance.now();
    const res = await fetch(`${server.url}/api/v1/admin/lists/${list}/import`, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${ADMIN}`,
        'content-type': 'text/csv',
        'content-length': String(statSync(file).size),
      },
      body: Readable.toWeb(createReadStream(file)) as ReadableStream<Uint8Array>,
      duplex: 'half',
    } as RequestInit);
    const body = (await res.json()) as { accepted: number; rejectedTotal: number };
    const seconds = (performance.now() - t0) / 1000;
    if (res.status !== 200 || body.rejectedTotal > 0)
      throw new Error(`import ${res.status} ${JSON.stringify(body).slice(0, 300)}`);
    return { seconds, rss: await peakRssMiB(server.child.pid ?? 0), accepted: body.accepted };
  } finally {
    await server.stop();
    rmSync(data, { recursive: true, force: true });
  }
}

console.log(`machine: ${machine()}`);
for (const [list, file, rows] of [
  ['whitelist', whitelist, 1_000_000],
  ['health', health, 100_000],
] as const) {
  const results = [];
  for (let r = 0; r < RUNS; r++) results.push(await run(list, file));
  const t = stats(results.map((x) => x.seconds));
  const m = stats(results.map((x) => x.rss));
  const mb = statSync(file).size / 2 ** 20;
  console.log(
    `${list}: ${rows} rows, ${mb.toFixed(1)} MiB CSV, ${RUNS} runs: time median ${t.p50.toFixed(1)} s (min ${t.min.toFixed(1)}, max ${t.max.toFixed(1)}), ${Math.round(rows / t.p50)} rows/s; server peak RSS median ${m.p50.toFixed(0)} MiB (max ${m.max.toFixed(0)})`,
  );
}
rmSync(dir, { recursive: true, force: true });
