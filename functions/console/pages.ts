import type { Account } from '../accounts/openapi.ts';
import type { MessageKey } from '../copy/catalogue/en.ts';
import { LOCALES, type Locale } from '../copy/locales.ts';
import type { CopyExperiment } from '../copy/openapi.ts';
import type { Preview } from '../copy/preview.ts';
import { SURFACES } from '../copy/preview.ts';
import { CATALOGUES } from '../copy/render.ts';
import type { CopyVersion } from '../copy/store.ts';
import { BUTTON_STYLE } from '../http/page.ts';
import { escapeHtml } from '../http/response.ts';
import type { LedgerEntry as LedgerEntryView } from '../metering/openapi.ts';

const e = escapeHtml;
const FIELD = 'width:100%;box-sizing:border-box;font:inherit;padding:6px;border:1px solid #6b7280;border-radius:4px';

/** A console page: the layout of the usage page, wider, with the session's navigation. */
export function consolePage(title: string, body: string, csrf?: string): string {
  const nav = csrf
    ? `<nav aria-label="Console"><a href="/console">Home</a> · <a href="/console/accounts">Accounts</a> · <a href="/console/recovery">Recovery report</a> · ${LOCALES.map((l) => `<a href="/console/copy/${l}">Copy (${l})</a>`).join(' · ')} · <form method="post" action="/console/sign-out" style="display:inline">${csrfField(csrf)}<button type="submit" style="font:inherit;background:none;border:0;color:#1d4ed8;text-decoration:underline;cursor:pointer;padding:0">Sign out</button></form></nav>`
    : '';
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1"><title>${e(title)} · Tollgate console</title></head>
<body style="font-family:system-ui,sans-serif;color:#111827;max-width:960px;margin:24px auto;padding:0 16px;line-height:1.5">${nav}<main><h1 style="font-size:22px">${e(title)}</h1>${body}</main></body></html>`;
}

export const csrfField = (csrf: string) => `<input type="hidden" name="csrf" value="${e(csrf)}">`;

export function signInPage(problem?: string): string {
  const alert = problem ? `<p role="alert" style="color:#b91c1c">${e(problem)}</p>` : '';
  return consolePage(
    'Sign in',
    `${alert}<form method="post" action="/console/sign-in"><p><label for="adminKey">Admin key</label><br><input id="adminKey" name="adminKey" type="password" autocomplete="current-password" required style="${FIELD}"></p><button type="submit" style="${BUTTON_STYLE}">Sign in</button></form>`,
  );
}

export function homePage(csrf: string): string {
  return consolePage(
    'Operator console',
    `<p>Change the words customers read at the wall, per locale, without a deploy: functions pick up a change within a minute. Or <a href="/console/accounts">find an account</a>, or see how customers recover after the wall in the <a href="/console/recovery">recovery report</a>.</p><ul>${LOCALES.map((l) => `<li><a href="/console/copy/${l}">Copy editor (${l})</a> · <a href="/console/copy/${l}/variants">Variants (${l})</a></li>`).join('')}</ul>`,
    csrf,
  );
}

export interface EditorState {
  locale: Locale;
  current: CopyVersion | undefined;
  versions: CopyVersion[];
  /** What the form showed when it was refused, and why. */
  submitted?: Map<string, string>;
  problems?: string[];
  saved?: boolean;
}

/** The copy editor: each key with its default and a textarea holding the template in force. */
export function editorPage(state: EditorState, csrf: string): string {
  const { locale, current } = state;
  const defaults = CATALOGUES[locale];
  const alert = state.problems?.length
    ? `<div role="alert" style="color:#b91c1c"><p>Nothing was saved: fix these templates.</p><ul>${state.problems.map((p) => `<li>${e(p)}</li>`).join('')}</ul></div>`
    : state.saved
      ? `<p role="status" style="color:#166534">Saved as version ${current?.version}.</p>`
      : '';
  const rows = (Object.keys(defaults) as MessageKey[])
    .map((key, i) => {
      const value = state.submitted?.get(key) ?? current?.messages[key] ?? defaults[key];
      const overridden = current?.messages[key] !== undefined;
      return `<div style="margin:12px 0"><label for="m${i}"><code>${e(key)}</code>${overridden ? ' (overridden)' : ''}</label><textarea id="m${i}" name="m:${e(key)}" rows="2" style="${FIELD}">${e(value)}</textarea><details><summary>Default</summary><p style="white-space:pre-wrap">${e(defaults[key])}</p></details></div>`;
    })
    .join('');
  const previews = SURFACES.map((s) => `<a href="/console/copy/${locale}/preview?surface=${s}">${s}</a>`).join(' · ');
  const history = state.versions
    .map(
      (v) =>
        `<tr><td>${v.version}</td><td>${e(v.by)}</td><td>${e(v.at)}</td><td>${v.action}${v.restoredFrom ? ` of ${v.restoredFrom}` : ''}</td><td>${Object.keys(v.messages).length}</td><td>${v.version === current?.version ? 'in force' : `<form method="post" action="/console/copy/${locale}/versions/${v.version}/restore">${csrfField(csrf)}<button type="submit" aria-label="Restore version ${v.version}">Restore</button></form>`}</td></tr>`,
    )
    .join('');
  return consolePage(
    `Copy (${locale})`,
    `${alert}<p><a href="/console/copy/${locale}/variants">A/B variants of this locale</a></p><p>Version ${current?.version ?? 0}${current ? `, by ${e(current.by)} at ${e(current.at)}` : ' (the defaults)'}. Preview: ${previews}</p>
<form method="post" action="/console/copy/${locale}">${csrfField(csrf)}${rows}<button type="submit" style="${BUTTON_STYLE}">Save</button></form>
<h2 style="font-size:18px">History</h2>${history ? `<table><thead><tr><th scope="col">Version</th><th scope="col">By</th><th scope="col">At</th><th scope="col">Change</th><th scope="col">Overrides</th><th scope="col">Action</th></tr></thead><tbody>${history}</tbody></table>` : '<p>No changes yet.</p>'}`,
    csrf,
  );
}

/** A surface as the copy in force renders it for a sample account. */
export function previewPage(locale: Locale, surface: string, preview: Preview, csrf: string): string {
  const pre = (text: string) => `<pre style="white-space:pre-wrap;background:#f3f4f6;padding:8px">${e(text)}</pre>`;
  let body: string;
  if (preview.kind === 'problem') {
    const { title, detail } = preview.body as { title?: string; detail?: string };
    body = `<dl><dt>Title</dt><dd data-testid="title">${e(String(title))}</dd><dt>Detail</dt><dd>${e(String(detail))}</dd></dl><h2 style="font-size:18px">Body</h2>${pre(JSON.stringify(preview.body, null, 2))}`;
  } else if (preview.kind === 'email') {
    body = `<dl><dt>Subject</dt><dd>${e(preview.subject)}</dd></dl><h2 style="font-size:18px">Text</h2>${pre(preview.text)}<h2 style="font-size:18px">HTML</h2>${pre(preview.html)}`;
  } else {
    body = preview.pages.map((p) => `<h2 style="font-size:18px">${e(p.id)} (${p.status})</h2>${pre(p.html)}`).join('');
  }
  return consolePage(`Preview: ${surface} (${locale})`, `<p><a href="/console/copy/${locale}">Back to the editor</a></p>${body}`, csrf);
}

export interface VariantsState {
  locale: Locale;
  experiment: CopyExperiment;
  problems?: string[];
  /** The variant form as it was sent, when it was refused. */
  submitted?: { variantId: string; weight: string; messages: string };
}

/** The locale's A/B experiment: each variant with its weight and templates, a form to add or change one, and the on/off switch. */
export function variantsPage(state: VariantsState, csrf: string): string {
  const { locale, experiment } = state;
  const alert = state.problems?.length
    ? `<div role="alert" style="color:#b91c1c"><p>Nothing was saved:</p><ul>${state.problems.map((p) => `<li>${e(p)}</li>`).join('')}</ul></div>`
    : '';
  const rows = Object.entries(experiment.variants)
    .map(
      ([id, v]) =>
        `<tr data-variant="${e(id)}"><td>${e(id)}</td><td>${v.weight} %</td><td><ul>${Object.entries(v.messages)
          .map(([key, template]) => `<li><code>${e(key)}</code>: ${e(template)}</li>`)
          .join('')}</ul></td></tr>`,
    )
    .join('');
  const status = experiment.enabled
    ? `<p role="status">The experiment is on: ${experiment.controlWeight} % of accounts get the base copy.</p>`
    : '<p role="status">The experiment is off: everyone gets the base copy.</p>';
  const toggle = experiment.id
    ? `<form method="post" action="/console/copy/${locale}/experiment">${csrfField(csrf)}<input type="hidden" name="enabled" value="${experiment.enabled ? 'false' : 'true'}"><button type="submit">${experiment.enabled ? 'Turn the experiment off' : 'Turn the experiment on'}</button></form>`
    : '';
  const sent = state.submitted;
  return consolePage(
    `Variants (${locale})`,
    `${alert}${status}${toggle}${rows ? `<table><thead><tr><th scope="col">Variant</th><th scope="col">Weight</th><th scope="col">Templates</th></tr></thead><tbody>${rows}</tbody></table>` : '<p>No variants yet.</p>'}
<h2 style="font-size:18px">Add or change a variant</h2>
<form method="post" action="/console/copy/${locale}/variants">${csrfField(csrf)}
<p><label for="variantId">Variant id</label><br><input id="variantId" name="variantId" required value="${e(sent?.variantId ?? '')}" style="${FIELD}"></p>
<p><label for="weight">Weight (percent of accounts)</label><br><input id="weight" name="weight" type="number" min="0" max="100" required value="${e(sent?.weight ?? '50')}" style="${FIELD}"></p>
<p><label for="messages">Templates, one per line: <code>key = template</code></label><br><textarea id="messages" name="messages" rows="4" required style="${FIELD}">${e(sent?.messages ?? '')}</textarea></p>
<button type="submit" style="${BUTTON_STYLE}">Save variant</button></form>`,
    csrf,
  );
}

/** Search by account id or externalId; with a result, the account and its newest ledger entries. */
export function accountsPage(csrf: string, query: string, found?: { account: Account; ledger: LedgerEntryView[] }, problem?: string): string {
  const search = `<form method="get" action="/console/accounts" role="search"><p><label for="q">Account id or externalId</label><br><input id="q" name="q" value="${e(query)}" required style="${FIELD}"></p><button type="submit" style="${BUTTON_STYLE}">Find</button></form>`;
  const alert = problem ? `<p role="alert" style="color:#b91c1c">${e(problem)}</p>` : '';
  if (!found) return consolePage('Accounts', `${alert}${search}`, csrf);
  const { account, ledger } = found;
  const facts: [string, string][] = [
    ['Id', account.id],
    ['Name', account.name],
    ['Email', account.email],
    ['externalId', account.externalId ?? '—'],
    ['Plan', account.plan],
    ['Locale', account.locale ?? '—'],
    ['Balance', `${account.balance.available} credits (${account.balance.held} held)`],
  ];
  const rows = ledger
    .map(
      (entry) =>
        `<tr><td>${e(entry.at)}</td><td>${e(entry.type)}</td><td>${entry.credits}</td><td>${entry.balanceAfter}</td><td>${e(entry.operation ?? '')}</td></tr>`,
    )
    .join('');
  return consolePage(
    'Accounts',
    `${search}<h2 style="font-size:18px">${e(account.name)}</h2><dl>${facts.map(([k, v]) => `<dt>${e(k)}</dt><dd data-field="${e(k)}">${e(v)}</dd>`).join('')}</dl>
<h2 style="font-size:18px">Recent ledger</h2>${rows ? `<table><thead><tr><th scope="col">At</th><th scope="col">Type</th><th scope="col">Credits</th><th scope="col">Balance after</th><th scope="col">Operation</th></tr></thead><tbody>${rows}</tbody></table>` : '<p>No entries yet.</p>'}`,
    csrf,
  );
}
