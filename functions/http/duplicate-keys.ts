/** One open object or array while scanning, with the path that leads to it. */
interface Open {
  path: string;
  /** Keys seen so far; undefined for an array. */
  keys?: Set<string>;
  /** Next string is a key (objects) / index of the current element (arrays). */
  expectingKey: boolean;
  index: number;
}

/**
 * The path of the first key that appears twice in one object of a valid JSON text (`body.credits`),
 * or undefined. `JSON.parse` keeps the last value silently, so `{"credits":1,"credits":1000000}`
 * would be read as a million while a log, a proxy or a signature check may read it as one.
 * Iterative, so depth costs nothing; run it only on text `JSON.parse` accepted.
 */
export function duplicateKey(text: string, root = 'body'): string | undefined {
  const open: Open[] = [];
  let lastKey = '';
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    const top = open.at(-1);
    if (c === '"') {
      const end = endOfString(text, i);
      if (top?.keys && top.expectingKey) {
        const key = JSON.parse(text.slice(i, end + 1)) as string;
        if (top.keys.has(key)) return `${top.path}.${key}`;
        top.keys.add(key);
        top.expectingKey = false;
        lastKey = key;
      }
      i = end;
    } else if (c === '{' || c === '[') {
      const path = !top ? root : top.keys ? `${top.path}.${lastKey}` : `${top.path}.${top.index}`;
      open.push(c === '{' ? { path, keys: new Set(), expectingKey: true, index: 0 } : { path, expectingKey: false, index: 0 });
    } else if (c === '}' || c === ']') {
      open.pop();
    } else if (c === ',' && top) {
      top.expectingKey = top.keys !== undefined;
      top.index++;
    }
  }
  return undefined;
}

/** Index of the quote that closes the string opening at `start`. */
function endOfString(text: string, start: number): number {
  for (let i = start + 1; i < text.length; i++) {
    if (text[i] === '\\') i++;
    else if (text[i] === '"') return i;
  }
  return text.length;
}
