import { queryItems } from '../shared/dynamodb.ts';
import { keys } from '../table/keys.ts';
import { dayOf, RECOVERY_WINDOW_MS } from './episode.ts';
import { type CounterRow, dimensionOf, type GroupBy, type WallRow } from './report.ts';

const NOT_COUNTS = new Set(['pk', 'sk', 'day', 'value']);

/** The per-day counters of one dimension for the days `from`..`to` (inclusive): one Query, never a scan of episodes. */
async function counters(dimension: string, from: string, to: string): Promise<CounterRow[]> {
  const rows: CounterRow[] = [];
  const items = queryItems<Record<string, unknown>>({
    KeyConditionExpression: 'pk = :pk AND sk BETWEEN :from AND :to',
    ExpressionAttributeValues: { ':pk': keys.funnelCounter(dimension, from, '').pk, ':from': `${from}#`, ':to': `${to}#\uffff` },
  });
  for await (const item of items) {
    const counts = Object.fromEntries(Object.entries(item).filter(([name, value]) => !NOT_COUNTS.has(name) && typeof value === 'number')) as Record<
      string,
      number
    >;
    rows.push({ dimension, day: String(item.day), value: String(item.value), counts });
  }
  return rows;
}

/** The wall lists of the days in the window that may hold episodes younger than 48 h (at most three days). */
async function recentWalls(from: string, to: string, now: Date): Promise<WallRow[]> {
  const walls: WallRow[] = [];
  const first = dayOf(new Date(now.getTime() - RECOVERY_WINDOW_MS).toISOString());
  for (let day = first > from ? first : from; day <= to && day <= dayOf(now.toISOString()); day = nextDay(day)) {
    const items = queryItems<WallRow>({
      KeyConditionExpression: 'pk = :pk',
      ExpressionAttributeValues: { ':pk': keys.funnelWall(day, '', '', 0).pk },
      ProjectionExpression: 'wallAt, paidAt, #groups',
      ExpressionAttributeNames: { '#groups': 'groups' },
    });
    for await (const wall of items) walls.push(wall);
  }
  return walls;
}

const nextDay = (day: string) => new Date(Date.parse(`${day}T00:00:00Z`) + 86_400_000).toISOString().slice(0, 10);

/** What the report of a window and grouping reads. */
export async function reportRows(from: string, to: string, groupBy: GroupBy, now: Date): Promise<{ counters: CounterRow[]; walls: WallRow[] }> {
  const dimensions = [...new Set(['all', dimensionOf(groupBy)])];
  const [rows, walls] = await Promise.all([Promise.all(dimensions.map((dimension) => counters(dimension, from, to))), recentWalls(from, to, now)]);
  return { counters: rows.flat(), walls };
}
