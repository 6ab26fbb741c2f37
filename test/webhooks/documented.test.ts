import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { EVENT_TYPES, eventDataSchemas } from '../../functions/webhooks/events.ts';

const root = path.resolve(import.meta.dirname, '../..');
const doc = JSON.parse(readFileSync(path.join(root, 'docs/openapi.json'), 'utf8'));
const schemaAt = (ref: string) => doc.components.schemas[ref.replace('#/components/schemas/', '')];

describe('the webhooks section of the OpenAPI document', () => {
  it.each(EVENT_TYPES)('documents %s with the payload the code sends, and the Standard Webhooks headers', (type) => {
    const post = doc.webhooks?.[type]?.post;
    expect(post).toBeDefined();
    const envelope = schemaAt(post.requestBody.content['application/json'].schema.$ref);
    expect(envelope.properties.type.const).toBe(type);
    expect(Object.keys(envelope.properties.data.properties).sort()).toEqual(Object.keys(eventDataSchemas[type].shape).sort());
    expect(post.parameters.map((p: { name: string }) => p.name)).toEqual(['webhook-id', 'webhook-timestamp', 'webhook-signature']);
  });
});

/** Every module a file imports, transitively, within the repository. */
function importGraph(entry: string, seen = new Set<string>()): Set<string> {
  if (seen.has(entry)) return seen;
  seen.add(entry);
  const source = readFileSync(entry, 'utf8');
  for (const [, spec] of source.matchAll(/(?:from|import\()\s*'(\.[^']+)'/g)) importGraph(path.resolve(path.dirname(entry), spec as string), seen);
  return seen;
}

describe('the money path', () => {
  it.each(['functions/metering/handler.ts', 'functions/queries/handler.ts', 'functions/metering/meter.ts'])(
    '%s reaches no webhook code: a metered request never sends, queues or even plans an event',
    (entry) => {
      const reached = [...importGraph(path.join(root, entry))].map((file) => path.relative(root, file));
      expect(reached.length).toBeGreaterThan(5);
      expect(reached.filter((file) => file.startsWith('functions/webhooks/'))).toEqual([]);
      expect(reached.filter((file) => file.startsWith('functions/streams/'))).toEqual([]);
    },
  );
});

describe('the README’s Webhooks section', () => {
  const readme = readFileSync(path.join(root, 'README.md'), 'utf8');
  const section = readme.slice(readme.indexOf('## Webhooks'), readme.indexOf('## Taking payments'));

  it('lists every event type, and names only settings that exist', () => {
    for (const type of EVENT_TYPES) expect(section).toContain(`| \`${type}\``);
    const config = readFileSync(path.join(root, 'functions/shared/config.ts'), 'utf8');
    const named = [...section.matchAll(/`(WEBHOOK_[A-Z_]+)/g)].map((m) => m[1] as string);
    expect(named.length).toBeGreaterThan(3);
    for (const name of named) expect(config, name).toContain(`${name}:`);
  });
});
