import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { resetConfig } from '../../functions/shared/config.ts';
import { adminKey, linkSigningSecret } from '../../functions/shared/secrets.ts';

const ADMIN_ARN = 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:AdminKey-abc123';
const LINK_ARN = 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:LinkSigning-def456';
const stored: Record<string, string> = { [ADMIN_ARN]: 'a'.repeat(64), [LINK_ARN]: 'l'.repeat(64) };

/** A stand-in for the Secrets Manager endpoint (AWS JSON 1.1 protocol), counting reads. */
let server: Server;
let reads: string[] = [];
let failNext = false;

beforeAll(async () => {
  server = createServer((req, res) => {
    let body = '';
    req.on('data', (chunk) => {
      body += chunk;
    });
    req.on('end', () => {
      const { SecretId } = JSON.parse(body) as { SecretId: string };
      reads.push(SecretId);
      res.setHeader('Content-Type', 'application/x-amz-json-1.1');
      if (failNext || !stored[SecretId]) {
        failNext = false;
        res.statusCode = 400;
        res.end(JSON.stringify({ __type: 'ResourceNotFoundException', message: 'not found' }));
        return;
      }
      res.end(JSON.stringify({ ARN: SecretId, Name: 'x', SecretString: stored[SecretId] }));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  Object.assign(process.env, {
    AWS_ENDPOINT_URL_SECRETS_MANAGER: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    AWS_REGION: 'eu-west-1',
    AWS_ACCESS_KEY_ID: 'test',
    AWS_SECRET_ACCESS_KEY: 'test',
    TABLE_NAME: 'unused',
  });
});

afterAll(() => {
  server.close();
  delete process.env.AWS_ENDPOINT_URL_SECRETS_MANAGER;
});

function configure(env: Record<string, string | undefined>) {
  for (const name of ['TOLLGATE_ADMIN_KEY', 'ADMIN_KEY_SECRET_ARN', 'LINK_SIGNING_SECRET', 'LINK_SIGNING_SECRET_ARN']) delete process.env[name];
  for (const [name, value] of Object.entries(env)) if (value !== undefined) process.env[name] = value;
  resetConfig();
}

beforeEach(() => {
  reads = [];
});

describe('secret settings', () => {
  it('uses the value given directly (local stack, tests) without calling Secrets Manager', async () => {
    configure({ TOLLGATE_ADMIN_KEY: 'tgadmin_direct_0123456789', LINK_SIGNING_SECRET: 'd'.repeat(32), ADMIN_KEY_SECRET_ARN: ADMIN_ARN });
    expect(await adminKey()).toBe('tgadmin_direct_0123456789');
    expect(await linkSigningSecret()).toBe('d'.repeat(32));
    expect(reads).toEqual([]);
  });

  it('names both variables when neither is set', async () => {
    configure({});
    await expect(adminKey()).rejects.toThrow('set TOLLGATE_ADMIN_KEY or ADMIN_KEY_SECRET_ARN');
    await expect(linkSigningSecret()).rejects.toThrow('set LINK_SIGNING_SECRET or LINK_SIGNING_SECRET_ARN');
  });

  it('reads a secret named by its ARN once per container, however many requests ask at once', async () => {
    configure({ ADMIN_KEY_SECRET_ARN: ADMIN_ARN, LINK_SIGNING_SECRET_ARN: LINK_ARN });
    const keys = await Promise.all([adminKey(), adminKey(), adminKey()]);
    expect(keys).toEqual([stored[ADMIN_ARN], stored[ADMIN_ARN], stored[ADMIN_ARN]]);
    expect(await adminKey()).toBe(stored[ADMIN_ARN]);
    expect(await linkSigningSecret()).toBe(stored[LINK_ARN]);
    expect(reads).toEqual([ADMIN_ARN, LINK_ARN]);
  });

  it('does not cache a failed read: the next request tries again', async () => {
    const arn = `${ADMIN_ARN}-retry`;
    stored[arn] = 'r'.repeat(40);
    configure({ ADMIN_KEY_SECRET_ARN: arn });
    failNext = true;
    await expect(adminKey()).rejects.toThrow();
    expect(await adminKey()).toBe('r'.repeat(40));
    expect(reads).toEqual([arn, arn]);
  });

  it('refuses a secret too short to be a key', async () => {
    const arn = `${LINK_ARN}-short`;
    stored[arn] = 'short';
    configure({ LINK_SIGNING_SECRET_ARN: arn });
    await expect(linkSigningSecret()).rejects.toThrow('shorter than 32 characters');
  });
});
