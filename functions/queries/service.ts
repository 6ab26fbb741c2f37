import { fields } from '../http/request.ts';
import * as z from '../shared/schema.ts';
import sample from './catalog-sample.json' with { type: 'json' };
import type { ExportResult, ReportResult, SearchResult } from './openapi.ts';

/**
 * The example metered service: real work over a small bundled parts catalogue. It stands for
 * a platform team's own endpoint; Tollgate meters it exactly as it would meter theirs.
 */
export interface Part {
  sku: string;
  name: string;
  category: string;
  supplier: string;
  priceUsd: number;
  stock: number;
  rating: number;
}

export interface MeteredService {
  /** Validates an operation's input before anything is charged; throws a ZodError-backed message. */
  inputSchema(operation: string): z.ZodMiniType | undefined;
  run(operation: string, input: unknown): Promise<unknown>;
}

const parts = sample as Part[];
const categories = [...new Set(parts.map((part) => part.category))];

const searchInput = z.builtOnFirstUse(() =>
  z.strictObject({
    q: fields.text(100),
    limit: z._default(z.number().check(z.int(), z.minimum(1), z.maximum(50)), 10),
  }),
);
const reportInput = z.builtOnFirstUse(() => z.strictObject({ groupBy: z._default(z.enum(['category', 'supplier']), 'category') }));
const exportInput = z.builtOnFirstUse(() => z.strictObject({ category: z.optional(z.enum(categories as [string, ...string[]])) }));

/** Each operation's input schema, built when first asked for (`builtOnFirstUse`). */
export const queryInputs = {
  get search() {
    return searchInput();
  },
  get report() {
    return reportInput();
  },
  get export() {
    return exportInput();
  },
};

type Operation = keyof typeof queryInputs;

function search({ q, limit }: z.infer<typeof queryInputs.search>): SearchResult {
  const terms = q.toLowerCase().split(/\s+/);
  const matches = parts.filter((part) => terms.every((term) => `${part.name} ${part.category} ${part.supplier} ${part.sku}`.toLowerCase().includes(term)));
  return { total: matches.length, items: matches.slice(0, limit) };
}

function report({ groupBy }: z.infer<typeof queryInputs.report>): ReportResult {
  const groups = new Map<string, Part[]>();
  for (const part of parts) groups.set(part[groupBy], [...(groups.get(part[groupBy]) ?? []), part]);
  const rows = [...groups.entries()].map(([key, members]) => ({
    [groupBy]: key,
    parts: members.length,
    unitsInStock: members.reduce((sum, part) => sum + part.stock, 0),
    averagePriceUsd: Math.round((members.reduce((sum, part) => sum + part.priceUsd, 0) / members.length) * 100) / 100,
    averageRating: Math.round((members.reduce((sum, part) => sum + part.rating, 0) / members.length) * 10) / 10,
    outOfStock: members.filter((part) => part.stock === 0).length,
  }));
  return { groupBy, rows: rows.sort((a, b) => b.unitsInStock - a.unitsInStock) };
}

function exportCsv({ category }: z.infer<typeof queryInputs.export>): ExportResult {
  const columns: (keyof Part)[] = ['sku', 'name', 'category', 'supplier', 'priceUsd', 'stock', 'rating'];
  const rows = parts.filter((part) => !category || part.category === category);
  const csv = [columns.join(','), ...rows.map((part) => columns.map((column) => csvCell(part[column])).join(','))].join('\n');
  return { rows: rows.length, contentType: 'text/csv', csv };
}

function csvCell(value: string | number): string {
  const text = String(value);
  return /[",\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

const work: Record<Operation, (input: never) => unknown> = { search, report, export: exportCsv };

export const catalogService: MeteredService = {
  inputSchema: (operation) => (Object.hasOwn(queryInputs, operation) ? queryInputs[operation as Operation] : undefined),
  async run(operation, input) {
    return work[operation as Operation](input as never);
  },
};
