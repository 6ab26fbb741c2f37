import type { AttributeValue } from '@aws-sdk/client-dynamodb';

/**
 * DynamoDB item size by AWS's published rules ("Item sizes and formats", DynamoDB developer
 * guide): attribute names count as UTF-8 bytes; strings are UTF-8 bytes; numbers about one byte
 * per two significant digits plus one; binary is its length; booleans and nulls one byte; lists
 * and maps 3 bytes of overhead plus one byte per element; sets the sum of their members.
 */
export function itemSize(item: Record<string, AttributeValue> | undefined): number {
  if (!item) return 0;
  let size = 0;
  for (const [name, value] of Object.entries(item)) size += utf8(name) + valueSize(value);
  return size;
}

function valueSize(value: AttributeValue): number {
  if (value.S !== undefined) return utf8(value.S);
  if (value.N !== undefined) return numberSize(value.N);
  if (value.B !== undefined) return binarySize(value.B);
  if (value.BOOL !== undefined || value.NULL !== undefined) return 1;
  if (value.SS) return value.SS.reduce((sum, s) => sum + utf8(s), 0);
  if (value.NS) return value.NS.reduce((sum, n) => sum + numberSize(n), 0);
  if (value.BS) return value.BS.reduce((sum, b) => sum + binarySize(b), 0);
  if (value.L) return 3 + value.L.reduce((sum, element) => sum + 1 + valueSize(element), 0);
  if (value.M) return 3 + Object.entries(value.M).reduce((sum, [name, element]) => sum + 1 + utf8(name) + valueSize(element), 0);
  return 0;
}

/** Base64 text in the wire JSON, bytes in the SDK's types. */
function binarySize(b: unknown): number {
  return typeof b === 'string' ? Buffer.from(b, 'base64').length : (b as Uint8Array).length;
}

function numberSize(n: string): number {
  const digits = n.replace(/^-/, '').replace(/e.*$/i, '').replace('.', '').replace(/^0+/, '').replace(/0+$/, '');
  return Math.ceil(Math.max(1, digits.length) / 2) + 1;
}

const utf8 = (text: string) => Buffer.byteLength(text, 'utf8');

/** Write request units for one item write: 1 per KB of the larger of the item before and after (min 1). */
export const writeUnits = (bytes: number) => Math.max(1, Math.ceil(bytes / 1024));
/** Read request units for a strongly consistent read: 1 per 4 KB (min 1); eventually consistent reads cost half. */
export const readUnits = (bytes: number, consistent: boolean) => Math.max(1, Math.ceil(bytes / 4096)) * (consistent ? 1 : 0.5);
