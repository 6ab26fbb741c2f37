import { describe, expect, it } from 'vitest';
import { duplicateKey } from '../../functions/http/duplicate-keys.ts';

describe('duplicateKey', () => {
  it.each([
    ['{"credits":1,"credits":1000000}', 'body.credits'],
    ['{"credits":1,"cr\\u0065dits":2}', 'body.credits'],
    ['{"operation":"search","input":{"q":"a","q":"b"}}', 'body.input.q'],
    ['{"input":[{"a":1},{"a":1,"a":2}]}', 'body.input.1.a'],
    ['{"a":"}{\\",\\"a\\":","a":1}', 'body.a'],
    ['{"":1,"":2}', 'body.'],
  ])('%s repeats %s', (text, path) => {
    expect(duplicateKey(text)).toBe(path);
  });

  it.each([
    ['{"credits":1,"operation":"credits"}'],
    ['{"a":{"a":{"a":1}},"b":{"a":2}}'],
    ['[{"a":1},{"a":2}]'],
    ['{"a":"\\"a\\":1,\\"a\\":2"}'],
    ['"credits"'],
    ['{}'],
  ])('%s has none', (text) => {
    expect(duplicateKey(text)).toBeUndefined();
  });
});
