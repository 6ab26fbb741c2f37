import { describe, expect, it } from 'vitest';
import { renderAlertEmail } from '../../functions/alerts/email.ts';
import { en, type MessageKey } from '../../functions/copy/catalogue/en.ts';
import { chooseLocale, LOCALES, negotiateLocale } from '../../functions/copy/locales.ts';
import { CATALOGUES, copyFor } from '../../functions/copy/render.ts';
import { templateProblems } from '../../functions/copy/template.ts';
import { insufficientCreditsProblem, type RecoveryInput } from '../../functions/recovery/insufficient-credits.ts';
import { renderUsagePage, type UsagePageData } from '../../functions/usage/page.ts';
import { pricing } from '../support/prices.ts';

const keys = Object.keys(en) as MessageKey[];

describe('the catalogue', () => {
  it.each(LOCALES)('%s has every key, and every default template is valid', (locale) => {
    const catalogue = CATALOGUES[locale];
    expect(Object.keys(catalogue).sort()).toEqual([...keys].sort());
    for (const key of keys) expect(templateProblems(key, catalogue[key]), `${locale} ${key}`).toEqual([]);
  });

  it.each(['de', 'fr'] as const)('%s is a translation, not a copy of the English', (locale) => {
    const same = keys.filter((key) => CATALOGUES[locale][key] === en[key] && /[a-z]{4}/.test(en[key]));
    // Words that are the same in both languages (e.g. "Credits") are few.
    expect(same.length, same.join(', ')).toBeLessThan(8);
  });
});

describe('templateProblems', () => {
  it('names an unknown placeholder', () => {
    expect(templateProblems('insufficientCredits.detail', 'You are {shortfall} short, {outcome} {price}')).toEqual([
      'insufficientCredits.detail: unknown placeholder {price} (this message knows: {shortfall}, {outcome}, {subject}, {required}, {available})',
    ]);
  });
  it('names a dropped required placeholder', () => {
    expect(templateProblems('insufficientCredits.detail', 'Out of credits. {outcome}')).toEqual([
      'insufficientCredits.detail: the required placeholder {shortfall} is missing',
    ]);
  });
  it('allows dropping an optional one', () => {
    expect(templateProblems('insufficientCredits.detail', 'Short by {shortfall}. {outcome}')).toEqual([]);
  });
  it('refuses an unknown key, an empty template and stray braces', () => {
    expect(templateProblems('nope.key', 'x')).toEqual(['"nope.key" is not a message key']);
    expect(templateProblems('insufficientCredits.title', ' ')).toEqual(['insufficientCredits.title: the template is empty']);
    expect(templateProblems('insufficientCredits.title', 'Out {of credits')).toEqual(['insufficientCredits.title: a brace is not part of a {placeholder}']);
  });
});

describe('negotiateLocale', () => {
  it.each([
    ['de-CH, fr;q=0.9, en;q=0.8', 'de'],
    ['fr-FR', 'fr'],
    ['es, fr;q=0.5', 'fr'],
    ['en;q=0.2, de;q=0.7', 'de'],
    ['de;q=0, fr;q=0.1', 'fr'],
    ['*', undefined],
    ['*, fr;q=0.5', 'fr'],
    ['es', undefined],
    ['', undefined],
  ])('%j → %s', (header, locale) => {
    expect(negotiateLocale(header)).toBe(locale);
  });
  it('falls back to the account locale, then English', () => {
    expect(chooseLocale(undefined, 'fr')).toBe('fr');
    expect(chooseLocale('es', 'de')).toBe('de');
    expect(chooseLocale('es', undefined)).toBe('en');
    expect(chooseLocale('*', 'de')).toBe('de');
    expect(chooseLocale('fr', 'de')).toBe('fr');
  });
});

const recovery: RecoveryInput = {
  balance: { available: 3, held: 0, unit: 'credits', asOf: '2026-11-25T10:00:00.000Z' },
  required: 1250,
  operation: 'export',
  usage: { from: '2026-10-26T10:00:00.000Z', to: '2026-11-25T10:00:00.000Z', total: 0, byOperation: [], byDay: [] },
  pricing,
  baseUrl: 'https://api.example.com',
};

/** A usage page with 1 credit, nothing used and no offers: what a rendering test varies, it passes. */
const quietMonth = (over: Partial<UsagePageData>): UsagePageData => ({
  accountName: 'A',
  planName: 'free',
  balance: { available: 1, held: 0, asOf: '2026-11-25T10:00:00.000Z' },
  period: { from: '2026-11-01T00:00:00.000Z', to: '2026-11-25T00:00:00.000Z' },
  usage: { from: '2026-11-01T00:00:00.000Z', to: '2026-11-25T00:00:00.000Z', total: 0, byOperation: [], byDay: [] },
  biggestQueries: [],
  topUps: [],
  plans: [],
  remindAction: '/remind',
  alerts: { enabled: true, thresholds: [20, 5], email: 'a@example.com' },
  ...over,
});

describe('rendering', () => {
  it('formats numbers per locale, with the plural of the unit', () => {
    expect(insufficientCreditsProblem({ ...recovery, copy: copyFor('de') }).detail).toContain('1.247 Credits');
    expect(insufficientCreditsProblem({ ...recovery, copy: copyFor('fr') }).detail).toMatch(/1\u202f247 crédits/);
    expect(insufficientCreditsProblem({ ...recovery, required: 4 }).detail).toContain('1 credit short');
    expect(copyFor('de').format.money({ amount: '5.00', currency: 'EUR' })).toBe('5,00\u00a0€');
    expect(copyFor('fr').format.dateTime('2026-11-29T21:38:22.201Z')).toBe('29 nov. 2026, 21:38 UTC');
  });

  it('uses an override, and the legacy message follows the detail', () => {
    const copy = copyFor('en', { 'insufficientCredits.title': 'Need more?', 'insufficientCredits.detail': 'You are {shortfall} short. {outcome}' });
    const problem = insufficientCreditsProblem({ ...recovery, copy });
    expect(problem.title).toBe('Need more?');
    expect(problem.detail).toBe('You are 1,247 credits short. Nothing was charged.');
    expect(problem.extensions?.message).toBe(problem.detail);
  });

  it('falls back to the default when an override cannot render, and reports it', () => {
    const heard: string[] = [];
    const copy = copyFor('en', { 'insufficientCredits.title': 'Hi {name}' }, ({ key, problem }) => heard.push(`${key}: ${problem}`));
    expect(insufficientCreditsProblem({ ...recovery, copy }).title).toBe(en['insufficientCredits.title']);
    expect(heard).toEqual(['insufficientCredits.title: insufficientCredits.title: unknown placeholder {name} (this message knows: none)']);
  });

  it('escapes HTML from templates and values in emails and pages', () => {
    const copy = copyFor('en', { 'email.footer': '<script>alert(1)</script>', 'usage.heading': '<b>Usage</b>' });
    const email = renderAlertEmail({
      kind: 'threshold',
      name: '<img src=x>',
      balance: 5,
      asOf: '2026-11-25T10:00:00.000Z',
      percent: 5,
      usage: { since: '2026-11-01', total: 0, top: [] },
      packs: [],
      plans: [],
      links: { usage: 'https://u', remind: 'https://r', unsubscribe: 'https://x', topUp: 'https://t' },
      copy,
    });
    expect(email.html).not.toContain('<script>');
    expect(email.html).not.toContain('<img src=x>');
    expect(email.text).toContain('<script>alert(1)</script>');
    const page = renderUsagePage(quietMonth({ copy }));
    expect(page).not.toContain('<b>Usage</b>');
    expect(page).toContain('&#60;b&#62;Usage&#60;/b&#62;');
  });

  it('renders pages in the account locale, lang attribute included', () => {
    const page = renderUsagePage(quietMonth({ balance: { available: 1200, held: 0, asOf: '2026-11-25T10:00:00.000Z' }, copy: copyFor('de') }));
    expect(page).toContain('<html lang="de">');
    expect(page).toContain('1.200');
    expect(page).toMatch(/20\s%\sund\s5\s%/);
  });
});
