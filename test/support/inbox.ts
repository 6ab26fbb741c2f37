import { randomBytes } from 'node:crypto';
import { inject } from 'vitest';

export interface StoredEmail {
  messageId: string;
  from: string;
  destination: { to: string[] };
  subject: string;
  body: { text?: string; html?: string };
  headers: { name: string; value: string }[];
  at: number;
}

/** A fresh address per test, so tests read only their own mail from the shared SES endpoint. */
export function newAddress(): string {
  return `customer-${randomBytes(5).toString('hex')}@test.example`;
}

/** Mail the local SES endpoint received for `address` (its `GET /store`). */
export async function mailTo(address: string): Promise<StoredEmail[]> {
  const store = (await (await fetch(`${inject('sesUrl')}/store`)).json()) as { emails: StoredEmail[] };
  return store.emails.filter((email) => email.destination.to.includes(address));
}

export function header(email: StoredEmail, name: string): string | undefined {
  return email.headers.find((h) => h.name.toLowerCase() === name.toLowerCase())?.value;
}
