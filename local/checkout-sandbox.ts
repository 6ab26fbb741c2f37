import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import Stripe from 'stripe';
import { escapeHtml } from '../functions/http/response.ts';
import { assertPortFree } from './ports.ts';

/** The Checkout Session parameters Tollgate sends (the Stripe adapter's, as JSON). */
type SessionParams = Stripe.Checkout.SessionCreateParams;

interface SandboxSession {
  id: string;
  params: SessionParams;
  paid: boolean;
}

export interface CheckoutSandbox {
  url: string;
  /** Where "Pay" delivers events: the webhook route Stripe would be configured with. */
  webhookUrl: string;
  stop(): Promise<void>;
}

/**
 * Local only: a stand-in for Stripe's hosted checkout page, nothing else. Tollgate's sandbox
 * provider creates sessions here; the page shows the order, and "Pay" delivers the events Stripe
 * would — `checkout.session.completed` (and `invoice.paid` for a plan), signed with Stripe's
 * scheme and the endpoint secret — to the real webhook route, then sends the browser to the
 * success URL. The webhook path, signature check and crediting are the production code.
 */
export async function startCheckoutSandbox(options: { port: number; webhookSecret: string; webhookUrl?: string }): Promise<CheckoutSandbox> {
  if (options.port !== 0) await assertPortFree(options.port, 'the checkout sandbox', 'CHECKOUT_SANDBOX_PORT');
  const sessions = new Map<string, SandboxSession>();
  const sandbox = { url: '', webhookUrl: options.webhookUrl ?? '' } as CheckoutSandbox;
  const server = createServer(async (req, res) => {
    try {
      const path = new URL(req.url ?? '/', 'http://sandbox').pathname;
      const pay = /^\/pay\/(cs_sandbox_[0-9a-f]+)$/.exec(path);
      const session = pay?.[1] ? sessions.get(pay[1]) : undefined;
      if (req.method === 'POST' && path === '/v1/checkout/sessions') {
        // Stripe's ids are letters, digits and underscores only (the result page checks that shape); hex keeps the stand-in's alike.
        const created: SandboxSession = { id: `cs_sandbox_${randomBytes(16).toString('hex')}`, params: JSON.parse(await readText(req)), paid: false };
        sessions.set(created.id, created);
        return send(res, 200, 'application/json', JSON.stringify({ id: created.id, url: `${sandbox.url}/pay/${created.id}` }));
      }
      if (!session)
        return send(
          res,
          404,
          'text/html; charset=utf-8',
          page('No such checkout', '<p>This checkout does not exist (the sandbox keeps them in memory until it stops).</p>'),
        );
      if (req.method === 'GET') return send(res, 200, 'text/html; charset=utf-8', orderPage(session));
      if (req.method === 'POST') {
        if (!session.paid) {
          const delivered = await deliver(session, sandbox.webhookUrl, options.webhookSecret);
          if (!delivered.ok)
            return send(
              res,
              502,
              'text/html; charset=utf-8',
              page('The payment could not be confirmed', `<p>The webhook answered ${delivered.status}: ${escapeHtml(delivered.body)}</p>`),
            );
          session.paid = true;
        }
        res.writeHead(303, { Location: session.params.success_url?.replace('{CHECKOUT_SESSION_ID}', session.id) ?? '/' }).end();
        return;
      }
      send(res, 405, 'text/plain', 'Method not allowed');
    } catch (error) {
      send(res, 500, 'text/plain', `Checkout sandbox error: ${(error as Error).message}`);
    }
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, '127.0.0.1', () => resolve());
  });
  sandbox.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  sandbox.stop = () =>
    new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    });
  return sandbox;
}

/** The events Stripe sends when this session is paid, signed and posted one after another. */
async function deliver(session: SandboxSession, webhookUrl: string, secret: string): Promise<{ ok: boolean; status: number; body: string }> {
  for (const event of eventsFor(session)) {
    const payload = JSON.stringify(event);
    const response = await fetch(webhookUrl, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json; charset=utf-8', 'Stripe-Signature': Stripe.webhooks.generateTestHeaderString({ payload, secret }) },
      body: payload,
    });
    if (!response.ok) return { ok: false, status: response.status, body: await response.text() };
  }
  return { ok: true, status: 200, body: '' };
}

function eventsFor(session: SandboxSession): Record<string, unknown>[] {
  const { params } = session;
  const amount = (params.line_items ?? []).reduce((sum, item) => sum + (item.price_data?.unit_amount ?? 0) * (item.quantity ?? 1), 0);
  const currency = params.line_items?.[0]?.price_data?.currency ?? 'usd';
  const random = () => randomBytes(16).toString('hex');
  const completed = {
    id: session.id,
    object: 'checkout.session',
    mode: params.mode,
    status: 'complete',
    payment_status: 'paid',
    client_reference_id: params.client_reference_id ?? null,
    customer_email: params.customer_email ?? null,
    metadata: params.metadata ?? {},
    amount_total: amount,
    currency,
    payment_intent: params.mode === 'payment' ? `pi_sandbox_${random()}` : null,
    subscription: params.mode === 'subscription' ? `sub_sandbox_${random()}` : null,
  };
  const events = [envelope('checkout.session.completed', completed)];
  if (params.mode === 'subscription') {
    events.push(
      envelope('invoice.paid', {
        id: `in_sandbox_${random()}`,
        object: 'invoice',
        status: 'paid',
        billing_reason: 'subscription_create',
        amount_paid: amount,
        currency,
        parent: {
          type: 'subscription_details',
          subscription_details: { subscription: completed.subscription, metadata: params.subscription_data?.metadata ?? {} },
        },
      }),
    );
  }
  return events;
}

function envelope(type: string, object: Record<string, unknown>): Record<string, unknown> {
  return {
    id: `evt_sandbox_${randomBytes(12).toString('base64url')}`,
    object: 'event',
    type,
    created: Math.floor(Date.now() / 1000),
    livemode: false,
    pending_webhooks: 1,
    request: { id: null, idempotency_key: null },
    data: { object },
  };
}

function orderPage(session: SandboxSession): string {
  const { params } = session;
  const lines = (params.line_items ?? []).map((item) => {
    const price = item.price_data;
    const name = price?.product_data?.name ?? item.price ?? 'item';
    const amount =
      price?.unit_amount === undefined ? '' : ` — ${(price.unit_amount / 100).toFixed(2)} ${price.currency.toUpperCase()}${price.recurring ? ' a month' : ''}`;
    return `<li>${escapeHtml(`${name}${amount}`)}</li>`;
  });
  return page(
    'Checkout (local sandbox)',
    `<p>This page stands in for Stripe's hosted checkout on this machine. No card is needed and no money moves.</p>
<h2>Your order</h2><ul>${lines.join('')}</ul>
<p>Account: ${escapeHtml(params.client_reference_id ?? '')}</p>
<form method="post" action="/pay/${escapeHtml(session.id)}"><button type="submit" style="background:#1d4ed8;color:#fff;border:0;padding:10px 16px;border-radius:6px;font-size:16px">Pay</button></form>
<p><a href="${escapeHtml(params.cancel_url ?? '/')}">Cancel and go back</a></p>`,
  );
}

function page(title: string, body: string): string {
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1"><title>${escapeHtml(title)}</title></head><body style="font-family:system-ui,sans-serif;max-width:560px;margin:40px auto;padding:0 16px"><main><h1>${escapeHtml(title)}</h1>${body}</main></body></html>`;
}

function send(res: ServerResponse, status: number, type: string, body: string) {
  res.writeHead(status, { 'Content-Type': type, 'Cache-Control': 'no-store' }).end(body);
}

async function readText(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}
