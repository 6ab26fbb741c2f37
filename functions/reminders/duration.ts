/**
 * ISO-8601 durations in weeks, days, hours and minutes (`PT4H`, `P1D`, `P1W`, `P2DT12H`).
 * Months and years are refused: their length depends on the calendar. Pure.
 */
const DURATION = /^P(?:(\d{1,3})W)?(?:(\d{1,3})D)?(?:T(?:(\d{1,4})H)?(?:(\d{1,5})M)?)?$/;

export function durationMs(text: string): number | undefined {
  const match = DURATION.exec(text);
  if (!match || text === 'P' || text.endsWith('T')) return undefined;
  const [weeks, days, hours, minutes] = match.slice(1).map((part) => Number(part ?? 0)) as [number, number, number, number];
  return (((weeks * 7 + days) * 24 + hours) * 60 + minutes) * 60_000;
}
