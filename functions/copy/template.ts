import { en, type MessageKey } from './catalogue/en.ts';
import { paramsOf } from './params.ts';

const PLACEHOLDER = /\{([^{}]*)\}/g;
export const MAX_TEMPLATE_LENGTH = 2000;

export function isMessageKey(key: string): key is MessageKey {
  return Object.hasOwn(en, key);
}

/** The placeholder names a template uses, in order. */
export function placeholdersOf(template: string): string[] {
  return [...template.matchAll(PLACEHOLDER)].map((match) => match[1] ?? '');
}

/**
 * What is wrong with a template for a key, in words an operator can act on; empty when it is
 * fine. Unknown placeholders, dropped required ones and stray braces are all refused.
 */
export function templateProblems(key: string, template: string): string[] {
  if (!isMessageKey(key)) return [`"${key}" is not a message key`];
  const problems: string[] = [];
  if (template.trim() === '') problems.push(`${key}: the template is empty`);
  if (template.length > MAX_TEMPLATE_LENGTH) problems.push(`${key}: the template is longer than ${MAX_TEMPLATE_LENGTH} characters`);
  const params = paramsOf(key);
  const used = placeholdersOf(template);
  const known = [...params.keys()].map((name) => `{${name}}`).join(', ') || 'none';
  for (const name of new Set(used)) {
    if (!params.has(name)) problems.push(`${key}: unknown placeholder {${name}} (this message knows: ${known})`);
  }
  for (const param of params.values()) {
    if (param.required && !used.includes(param.name)) problems.push(`${key}: the required placeholder {${param.name}} is missing`);
  }
  if (/[{}]/.test(template.replace(PLACEHOLDER, ''))) problems.push(`${key}: a brace is not part of a {placeholder}`);
  if (/[\p{Cc}\p{Cs}\u202A-\u202E\u2066-\u2069]/u.test(template)) problems.push(`${key}: control characters and bidirectional overrides are not allowed`);
  return problems;
}
