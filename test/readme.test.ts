import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isPermanentSendFailure } from '../functions/alerts/ses-sender.ts';
import { ADMIN_KEY, startTestApp, type TestApp } from './support/app.ts';
import { call } from './support/http.ts';

/** The README is read by people trying Tollgate for the first time: what it shows must be what they get. */
const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');
const walkthrough = readme.slice(readme.indexOf('## Walkthrough with curl'), readme.indexOf('## API'));

let app: TestApp;
beforeAll(async () => {
  app = await startTestApp();
});
afterAll(() => app.stop());

describe('the README walkthrough', () => {
  it('shows every field the account answer has, and no other', async () => {
    const reply = await call(app.url, 'POST', '/v1/accounts', { token: ADMIN_KEY, body: { name: 'Ada Labs', email: 'ada@example.com', plan: 'free' } });
    const shown = /# → 201 (\{"id":"acc_[\s\S]*?\})\n[^#]/.exec(walkthrough)?.[1]?.replace(/\n#\s+/g, '') ?? '';
    const shownTopLevel = [...shown.replace(/"balance":\{[^}]*\}/, '"balance":0').matchAll(/"(\w+)":/g)].map((m) => m[1]);
    expect(shownTopLevel).toEqual(Object.keys(reply.body));
  });

  it('step 5 resumes the query from step 4 through a variable, not a pasted id', () => {
    const step5 = walkthrough.slice(walkthrough.indexOf('# 5.'), walkthrough.indexOf('# 6.'));
    expect(step5).toMatch(/^Q=q_\S+/m);
    const resumes = step5.split('\n').filter((line) => line.includes('/resume'));
    expect(resumes).toHaveLength(2);
    for (const line of resumes) expect(line).toContain('$A/v1/queries/$Q/resume');
  });
});

describe('the README cost', () => {
  it('is one figure, the sum of its own table', () => {
    const table = readme.slice(readme.indexOf('### What it costs per million metered requests'));
    const rows = table.split('\n').filter((line) => line.startsWith('|') && line.includes('**$'));
    const sum = rows.map((row) => Number(/\*\*\$([\d.]+)\*\*/.exec(row)?.[1])).reduce((a, b) => a + b, 0);
    const total = Number(/\*\*≈ \$([\d.]+) per million metered requests\*\*/.exec(table)?.[1]);
    expect(Math.abs(sum - total)).toBeLessThanOrEqual(0.025);
    const figures = [...readme.matchAll(/\$(\d+\.\d\d)\b[^\n|]*\|?[^\n]*per million metered requests|per million metered requests[^\n]*?\$(\d+\.\d\d)/g)].map(
      (m) => Number(m[1] ?? m[2]),
    );
    expect(new Set(figures)).toEqual(new Set([total]));
  });
});

describe('the README on SES refusals', () => {
  it('says what the code does: permanent refusals are logged and not retried', () => {
    const accessDenied = Object.assign(new Error('not authorized'), { name: 'AccessDeniedException' });
    expect(isPermanentSendFailure(accessDenied)).toBe(true);
    expect(readme).not.toMatch(/refuses is\s+retried/);
    expect(readme).toMatch(/`AccessDeniedException`[^.]*not retried|not retried[^.]*`AccessDeniedException`/);
  });
});
