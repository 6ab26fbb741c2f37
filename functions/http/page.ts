import { escapeHtml } from './response.ts';
import type { HttpEvent } from './types.ts';

/** A small, accessible, phone-friendly page for the answers to links people click in emails. */
export function simplePage(title: string, text: string, extraHtml = '', lang = 'en'): string {
  return `<!doctype html><html lang="${escapeHtml(lang)}"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1"><title>${escapeHtml(title)}</title></head>
<body style="font-family:system-ui,sans-serif;color:#111827;max-width:560px;margin:40px auto;padding:0 16px;line-height:1.5"><main><h1 style="font-size:22px">${escapeHtml(title)}</h1><p>${escapeHtml(text)}</p>${extraHtml}</main></body></html>`;
}

export const BUTTON_STYLE = 'background:#1d4ed8;color:#fff;border:0;padding:10px 16px;border-radius:6px;font-size:16px;cursor:pointer';

/** A form that posts back to the page's own URL, signed token included. */
export function postBackForm(event: HttpEvent, innerHtml: string): string {
  return `<form method="post" action="${escapeHtml(`${event.rawPath}?${event.rawQueryString}`)}">${innerHtml}</form>`;
}
