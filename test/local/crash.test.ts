import { type ChildProcess, execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { freePort } from '../../local/ports.ts';
import { STREAM_DRAINED } from '../../local/stream-poller.ts';
import { type LocalStackProcess, startLocalStackProcess } from '../support/local-process.ts';

/**
 * Issue 7, "faults": the local gateway process killed with `kill -9` in the middle of a burst of
 * top-ups and debits. After a restart on the same data dir every acknowledged top-up is there,
 * the ledger sums to the balance, and replaying an acknowledged top-up changes nothing.
 */

type Started = LocalStackProcess;

const children: ChildProcess[] = [];
/** Every process the stack started (Node, Java, the watchdog), found while the stack was up. */
const descendants = new Set<number>();
const dataDir = mkdtempSync(join(tmpdir(), 'tollgate-crash-'));

afterAll(() => {
  for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  for (const pid of descendants) if (alive(pid)) killQuietly(pid);
  rmSync(dataDir, { recursive: true, force: true });
});

function start(env: Record<string, string>): Started {
  const started = startLocalStackProcess(env);
  children.push(started.child);
  return started;
}

async function ready(app: Started): Promise<void> {
  await waitFor(
    () => app.output().includes('Ctrl-C stops everything') || app.child.exitCode !== null,
    25_000,
    () => app.output(),
  );
  expect(app.child.exitCode, app.output()).toBeNull();
}

async function waitFor(check: () => boolean | Promise<boolean>, timeoutMs: number, explain: () => string = () => ''): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms ${explain()}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** Asks the stack (SIGUSR2) and waits until its stream poller has handled every write made so far. */
async function streamDrained(app: Started): Promise<void> {
  const from = app.output().length;
  app.child.kill('SIGUSR2');
  await waitFor(
    () => app.output().slice(from).includes(STREAM_DRAINED),
    20_000,
    () => app.output(),
  );
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

function killQuietly(pid: number): void {
  try {
    process.kill(pid, 'SIGKILL');
  } catch {}
}

/** The processes below `root`, with their command lines. */
function processTree(root: number): { pid: number; command: string }[] {
  const rows = execFileSync('ps', ['-A', '-o', 'pid=,ppid=,args='], { encoding: 'utf8' })
    .split('\n')
    .map((line) => /^\s*(\d+)\s+(\d+)\s+(.*)$/.exec(line))
    .filter((match) => match !== null)
    .map(([, pid, ppid, command]) => ({ pid: Number(pid), ppid: Number(ppid), command: String(command) }));
  const found: { pid: number; command: string }[] = [];
  const parents = [root];
  while (parents.length > 0) {
    const parent = parents.pop();
    for (const row of rows.filter((r) => r.ppid === parent)) {
      found.push(row);
      parents.push(row.pid);
    }
  }
  return found;
}

async function portFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const probe = createServer().once('error', () => resolve(false));
    probe.listen(port, '127.0.0.1', () => probe.close(() => resolve(true)));
  });
}

interface LedgerEntry {
  id: string;
  type: string;
  credits: number;
  balanceAfter: number;
}

describe('kill -9 during a burst', () => {
  it('loses no acknowledged top-up, and the ledger still sums to the balance', { timeout: 120_000 }, async () => {
    const ports = { PORT: await freePort(), DYNAMODB_LOCAL_PORT: await freePort(), SES_LOCAL_PORT: await freePort() };
    const adminKey = `tgadmin_${randomBytes(24).toString('base64url')}`;
    const env = {
      PORT: String(ports.PORT),
      DYNAMODB_LOCAL_PORT: String(ports.DYNAMODB_LOCAL_PORT),
      SES_LOCAL_PORT: String(ports.SES_LOCAL_PORT),
      TOLLGATE_ADMIN_KEY: adminKey,
      LINK_SIGNING_SECRET: randomBytes(32).toString('base64url'),
      TOLLGATE_DATA_DIR: dataDir,
      POWERTOOLS_METRICS_DISABLED: 'true',
    };
    const base = `http://127.0.0.1:${ports.PORT}`;
    const admin = { Authorization: `Bearer ${adminKey}`, 'Content-Type': 'application/json' };
    const post = (path: string, body: unknown, headers: Record<string, string> = {}) =>
      fetch(`${base}${path}`, { method: 'POST', headers: { ...admin, ...headers }, body: JSON.stringify(body) });
    const getJson = async <T>(path: string): Promise<T> => {
      const response = await fetch(`${base}${path}`, { headers: admin });
      if (!response.ok) throw new Error(`GET ${path}: ${response.status} ${await response.text()}`);
      return (await response.json()) as T;
    };

    const first = start(env);
    await ready(first);
    const firstPid = first.child.pid ?? 0;
    const stackProcesses = processTree(firstPid);
    for (const { pid } of stackProcesses) descendants.add(pid);
    const java = stackProcesses.filter((p) => /\bjava\b/.test(p.command) && p.command.includes('DynamoDBLocal'));
    expect(java, JSON.stringify(stackProcesses)).toHaveLength(1);

    // Two accounts of our own (the demo account is new at every start); one has an API key for metered queries.
    const accounts: { id: string; apiKey: string }[] = [];
    for (const name of ['Crash A', 'Crash B']) {
      const account = (await (await post('/v1/accounts', { name, email: 'ops@example.com', plan: 'free' })).json()) as { id: string };
      const key = (await (await post(`/v1/accounts/${account.id}/keys`, { name: 'crash' })).json()) as { key: string };
      accounts.push({ id: account.id, apiKey: key.key });
    }

    // The burst: top-ups, admin debits and metered queries, concurrently, until the process is gone.
    interface AckedTopUp {
      accountId: string;
      key: string;
      body: { credits: number; reference: string };
      id: string;
    }
    const ackedTopUps: AckedTopUp[] = [];
    const ackedDebits: { accountId: string; id: string; credits: number }[] = [];
    const unexpected: string[] = [];
    let sent = 0;
    let acknowledged = 0;
    let killed = false;
    const runId = randomBytes(4).toString('hex');
    const worker = async (w: number) => {
      for (let i = 0; !killed; i++) {
        const account = accounts[(w + i) % accounts.length] as { id: string; apiKey: string };
        const kind = (w + i) % 3;
        const key = `crash-${runId}-${w}-${i}`;
        sent++;
        try {
          if (kind === 0) {
            const body = { credits: 1 + ((w * 7 + i) % 20), reference: `burst ${w}/${i}` };
            const response = await post(`/v1/accounts/${account.id}/top-ups`, body, { 'Idempotency-Key': key });
            const answer = (await response.json()) as { id: string };
            if (response.status === 201) ackedTopUps.push({ accountId: account.id, key, body, id: answer.id });
            else unexpected.push(`top-up ${response.status}`);
          } else if (kind === 1) {
            const credits = 1 + (i % 5);
            const response = await post(`/v1/accounts/${account.id}/debits`, { credits, operation: 'search' }, { 'Idempotency-Key': key });
            const answer = (await response.json()) as { id: string };
            if (response.status === 201) ackedDebits.push({ accountId: account.id, id: answer.id, credits });
            else if (response.status !== 402) unexpected.push(`debit ${response.status}`);
          } else {
            const response = await fetch(`${base}/v1/queries`, {
              method: 'POST',
              headers: { Authorization: `Bearer ${account.apiKey}`, 'Content-Type': 'application/json', 'Idempotency-Key': key },
              body: JSON.stringify({ operation: 'search', input: { q: 'valve', limit: 1 } }),
            });
            const answer = (await response.json()) as { id: string; charged: number };
            if (response.status === 200) ackedDebits.push({ accountId: account.id, id: answer.id, credits: answer.charged });
            else if (response.status !== 402) unexpected.push(`query ${response.status}`);
          }
          acknowledged++;
        } catch {
          // The process died under this request (or refused it): not acknowledged, so no promise was made.
          if (!killed) await new Promise((resolve) => setTimeout(resolve, 20));
        }
      }
    };
    const burst = Promise.all(Array.from({ length: 24 }, (_, w) => worker(w)));
    // Kill in the middle: once a good number of writes were acknowledged, while more are in flight.
    await waitFor(
      () => acknowledged >= 150,
      30_000,
      () => `(${acknowledged} acknowledged)\n${first.output()}`,
    );
    first.child.kill('SIGKILL');
    killed = true;
    expect(await first.exited).toBeNull();
    await burst;
    console.log(`burst: ${sent} sent, ${acknowledged} answered, ${ackedTopUps.length} top-ups and ${ackedDebits.length} debits acknowledged`);
    expect(unexpected).toEqual([]);
    expect(ackedTopUps.length).toBeGreaterThan(20);

    // Java died with its parent (the watchdog), so the port and the data dir are free for the restart.
    await waitFor(
      () => !java.some((p) => alive(p.pid)),
      10_000,
      () => 'DynamoDB Local outlived the killed Node process',
    );
    await waitFor(
      () => portFree(ports.DYNAMODB_LOCAL_PORT),
      10_000,
      () => 'the DynamoDB Local port is still taken',
    );

    const second = start(env);
    await ready(second);
    for (const { pid } of processTree(second.child.pid ?? 0)) descendants.add(pid);

    const ledgerOf = async (accountId: string): Promise<LedgerEntry[]> => {
      const entries: LedgerEntry[] = [];
      let cursor: string | null = null;
      do {
        const page: { entries: LedgerEntry[]; nextCursor: string | null } = await getJson(
          `/v1/accounts/${accountId}/ledger?limit=100${cursor ? `&cursor=${cursor}` : ''}`,
        );
        entries.push(...page.entries);
        cursor = page.nextCursor;
      } while (cursor);
      return entries.reverse(); // oldest first
    };
    const balanceOf = async (accountId: string) => (await getJson<{ balance: { available: number } }>(`/v1/accounts/${accountId}`)).balance.available;

    const final = new Map<string, { balance: number; ledger: LedgerEntry[] }>();
    for (const { id } of accounts) {
      // The stream poller resumes from its checkpoint: wait until the ledger has caught up with the balance.
      let balance = 0;
      let ledger: LedgerEntry[] = [];
      await waitFor(
        async () => {
          balance = await balanceOf(id);
          const head = (await getJson<{ entries: LedgerEntry[] }>(`/v1/accounts/${id}/ledger?limit=1`)).entries[0];
          return (head?.balanceAfter ?? 0) === balance;
        },
        20_000,
        () => `ledger of ${id} never reached the balance ${balance}\n${second.output()}`,
      );
      ledger = await ledgerOf(id);
      final.set(id, { balance, ledger });

      expect(balance).toBeGreaterThanOrEqual(0);
      expect(ledger.reduce((sum, entry) => sum + entry.credits, 0)).toBe(balance);
      let running = 0;
      for (const entry of ledger) {
        running += entry.credits;
        expect(entry.balanceAfter, `ledger entry ${entry.id}`).toBe(running);
        expect(entry.balanceAfter).toBeGreaterThanOrEqual(0);
      }
      const ids = ledger.map((entry) => entry.id);
      const topUpIds = ledger.filter((entry) => entry.type === 'top_up').map((entry) => entry.id);
      expect(new Set(topUpIds).size, 'a top-up applied twice').toBe(topUpIds.length);
      const missingTopUps = ackedTopUps.filter((t) => t.accountId === id && !ids.includes(t.id));
      expect(missingTopUps, 'acknowledged top-ups missing from the ledger').toEqual([]);
      for (const topUp of ackedTopUps.filter((t) => t.accountId === id)) {
        expect(ledger.find((entry) => entry.id === topUp.id)?.credits).toBe(topUp.body.credits);
      }
      const missingDebits = ackedDebits.filter((d) => d.accountId === id && !ids.includes(d.id));
      expect(missingDebits, 'acknowledged debits missing from the ledger').toEqual([]);
    }

    // Every acknowledged top-up, sent again with its Idempotency-Key, is replayed and changes nothing.
    const replays = await Promise.all(
      ackedTopUps.map(async (topUp) => {
        const response = await post(`/v1/accounts/${topUp.accountId}/top-ups`, topUp.body, { 'Idempotency-Key': topUp.key });
        const answer = (await response.json()) as { id: string };
        return { status: response.status, replayed: response.headers.get('Idempotent-Replayed'), id: answer.id, expected: topUp.id };
      }),
    );
    for (const replay of replays) expect(replay).toEqual({ status: 201, replayed: 'true', id: replay.expected, expected: replay.expected });
    await streamDrained(second); // a (wrong) ledger entry from the replays would be there now
    for (const { id } of accounts) {
      const before = final.get(id);
      expect(await balanceOf(id)).toBe(before?.balance);
      expect((await ledgerOf(id)).length).toBe(before?.ledger.length);
    }

    second.child.kill('SIGINT');
    expect(await second.exited).toBe(0);
  });
});
