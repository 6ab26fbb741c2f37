import * as z from 'zod/mini';

/**
 * The price book: what each operation costs in credits, the top-up packs for sale, the plans and
 * the plan new accounts get. The operator owns it (a `priceBook` prop or the `tollgate:priceBook`
 * context key of the stack, `tollgate.prices.json` in this repository's own app); this one schema
 * validates it at synth time, at `npm start` and in the tests; a deployed function reads the copy
 * baked into its bundle at synth without validating it again. Credits are integers; money amounts
 * are decimal strings in the currency's major unit, so no price is ever a binary fraction.
 */

/** Operation names are what the ledger, usage and `meter({ price: 'name' })` record: the same syntax everywhere. */
export const OPERATION_NAME = /^[a-z][a-z0-9_-]{0,62}$/;

const POSITIVE_INTEGER = 'must be a positive integer';
const ID = /^[a-z0-9][a-z0-9_-]{0,63}$/;
const ID_MESSAGE = 'must be 1–64 lower-case letters, digits, "_" or "-"';

/**
 * The schemas, built on first use: building them is a few milliseconds of a cold start, and a deployed function never
 * needs them, because the book baked into its bundle was validated at synth (see `configured.ts`).
 */
function buildSchemas() {
  const positiveInteger = z.int(POSITIVE_INTEGER).check(z.positive(POSITIVE_INTEGER), z.maximum(1_000_000_000, 'must be at most 1,000,000,000'));

  const money = z.strictObject({
    /** Decimal string in the major unit: "5", "5.00", "0.125". */
    amount: z
      .string('must be a decimal string such as "5.00"')
      .check(z.regex(/^(0|[1-9][0-9]{0,11})(\.[0-9]{1,4})?$/, 'must be a decimal string such as "5.00"')),
    /** ISO 4217 code, upper case. */
    currency: z.string('must be an ISO 4217 currency code such as "USD"').check(z.regex(/^[A-Z]{3}$/, 'must be an ISO 4217 currency code such as "USD"')),
  });

  const topUpPack = z.strictObject({
    id: z.string(ID_MESSAGE).check(z.regex(ID, ID_MESSAGE)),
    credits: positiveInteger,
    price: money,
  });

  const plan = z.strictObject({
    id: z.string(ID_MESSAGE).check(z.regex(ID, ID_MESSAGE)),
    name: z.string('must be a name').check(z.minLength(1, 'must not be empty'), z.maxLength(100, 'must be at most 100 characters')),
    /** Granted at each monthly renewal; 0 for a pay-as-you-go plan. */
    monthlyCredits: z
      .int('must be a whole number ≥ 0')
      .check(z.nonnegative('must be a whole number ≥ 0'), z.maximum(1_000_000_000, 'must be at most 1,000,000,000')),
    /** Unused grant carries over to the next month, capped at one month's grant. */
    rollover: z.boolean('must be true or false'),
    price: money,
    /** The payment provider's price for this plan's subscription (Stripe `price_…`). */
    stripePriceId: z.optional(z.string('must be a string').check(z.minLength(1, 'must not be empty'), z.maxLength(255, 'must be at most 255 characters'))),
  });

  const priceBook = z
    .strictObject({
      /** Operation name → price in credits. */
      operations: z.record(
        z.string().check(z.regex(OPERATION_NAME, 'operation names must be lower case, such as "search"')),
        positiveInteger,
        'must be an object of operation name → credits',
      ),
      topUps: z.array(topUpPack, 'must be a list of top-up packs').check(z.maxLength(20, 'must hold at most 20 packs')),
      plans: z.array(plan, 'must be a list of plans').check(z.minLength(1, 'must hold at least one plan'), z.maxLength(20, 'must hold at most 20 plans')),
      /** The plan of accounts created without one. */
      defaultPlan: z.string('must be the id of one of the plans'),
      /**
       * Holds (work priced afterwards) settled above their estimate: `cap` takes the hold and no more,
       * `allow` also takes the overage from the available balance, as far as it goes. @default 'cap'
       */
      holdOverage: z.optional(z.enum(['cap', 'allow'], 'must be "cap" or "allow"')),
    })
    .check(
      z.superRefine((book, ctx) => {
        if (Object.keys(book.operations).length > 200)
          ctx.addIssue({ code: 'custom', path: ['operations'], message: 'must hold at most 200 operations', input: book.operations });
        for (const list of ['topUps', 'plans'] as const) {
          const seen = new Set<string>();
          book[list].forEach((item, i) => {
            if (seen.has(item.id)) ctx.addIssue({ code: 'custom', path: [list, i, 'id'], message: `duplicate id "${item.id}"`, input: item.id });
            seen.add(item.id);
          });
        }
        if (!book.plans.some((p) => p.id === book.defaultPlan)) {
          ctx.addIssue({
            code: 'custom',
            path: ['defaultPlan'],
            message: `unknown plan "${book.defaultPlan}" (plans: ${book.plans.map((p) => p.id).join(', ')})`,
            input: book.defaultPlan,
          });
        }
      }),
    );
  return { money, topUpPack, plan, priceBook };
}

let built: ReturnType<typeof buildSchemas> | undefined;

/** The price book's schema and its parts (a money amount, a top-up pack, a plan), for validation and the API document. */
export function priceBookSchemas(): ReturnType<typeof buildSchemas> {
  built ??= buildSchemas();
  return built;
}

export type PriceBook = z.infer<ReturnType<typeof buildSchemas>['priceBook']>;
export type Money = PriceBook['plans'][number]['price'];
export type TopUpPack = PriceBook['topUps'][number];
export type Plan = PriceBook['plans'][number];

/** A price book that failed validation; `problems` name each field, e.g. `priceBook.topUps[1].credits: must be a positive integer`. */
export class PriceBookError extends Error {
  readonly problems: string[];
  constructor(source: string, problems: string[]) {
    super(`Invalid price book (${source}):\n  - ${problems.join('\n  - ')}`);
    this.name = 'PriceBookError';
    this.problems = problems;
  }
}

/** Validates a price book; `source` says where it came from in the error (a file, a prop, a variable). */
export function parsePriceBook(input: unknown, source: string): PriceBook {
  const parsed = priceBookSchemas().priceBook.safeParse(input);
  if (parsed.success) return parsed.data;
  throw new PriceBookError(
    source,
    parsed.error.issues.map((issue) => `${fieldPath(issue.path)}: ${messageOf(issue)}`),
  );
}

function messageOf(issue: z.core.$ZodIssue): string {
  if (issue.code === 'unrecognized_keys') return `unknown field(s) ${issue.keys.join(', ')}`;
  // A bad record key (an operation name) carries its own issue inside.
  if (issue.code === 'invalid_key') return issue.issues[0]?.message ?? issue.message;
  return issue.message;
}

/** JSON text of a price book (a file's content, an environment variable), validated. */
export function parsePriceBookJson(text: string, source: string): PriceBook {
  let input: unknown;
  try {
    input = JSON.parse(text);
  } catch (error) {
    throw new PriceBookError(source, [`priceBook: not valid JSON (${(error as Error).message})`]);
  }
  return parsePriceBook(input, source);
}

function fieldPath(path: readonly PropertyKey[]): string {
  return path.reduce<string>((out, part) => (typeof part === 'number' ? `${out}[${part}]` : `${out}.${String(part)}`), 'priceBook');
}
