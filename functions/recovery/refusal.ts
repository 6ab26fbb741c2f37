import type { refusalAnswer as answer } from './respond.ts';

/**
 * The 402 recovery answer, loaded on the first refusal: it brings the usage summary, buy links
 * and social proof, which a metered function's cold start should not pay for on every container
 * (issue 12). The same function as `respond.ts`'s, behind one dynamic import.
 */
export const refusalAnswer: typeof answer = async (...args) => (await import('./respond.ts')).refusalAnswer(...args);
