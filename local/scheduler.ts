import type { AlertDeps } from '../functions/alerts/notify.ts';
import { runDigests } from '../functions/digests/job.ts';
import { lastCompletedPeriod } from '../functions/digests/period.ts';
import { runFunnelDaily } from '../functions/funnel/daily-handler.ts';
import { dayOf } from '../functions/funnel/episode.ts';
import { sweep } from '../functions/metering/sweeper.ts';
import { renewAll } from '../functions/plans/renew.ts';
import { periodOf } from '../functions/plans/renewal.ts';
import { fireDueReminders } from '../functions/reminders/fire.ts';

/**
 * The local stand-in for EventBridge Scheduler: fires due reminders, refunds abandoned charges,
 * releases expired holds, runs the monthly plan renewal when a new month begins while the stack is
 * running, and the daily recovery funnel job when a new day does, and the weekly and monthly usage
 * digests when a week or month has ended.
 */
export class LocalScheduler {
  private timer?: NodeJS.Timeout;
  private running?: Promise<void>;
  private period: string;
  private day: string;
  /** The last ended period whose digests this scheduler sent (claims make a second send a no-op anyway). */
  private readonly digestPeriods: Record<'weekly' | 'monthly', string>;
  private readonly deps: AlertDeps;
  private readonly intervalMs: number;

  constructor(deps: AlertDeps, intervalMs = 5_000) {
    this.deps = deps;
    this.intervalMs = intervalMs;
    this.period = periodOf(deps.clock.now());
    this.day = dayOf(deps.clock.now().toISOString());
    this.digestPeriods = { weekly: lastCompletedPeriod('weekly', deps.clock.now()).id, monthly: lastCompletedPeriod('monthly', deps.clock.now()).id };
  }

  start(): void {
    this.timer = setInterval(() => {
      this.running ??= this.tick().finally(() => {
        this.running = undefined;
      });
    }, this.intervalMs);
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    await this.running;
  }

  private async tick(): Promise<void> {
    try {
      await fireDueReminders(this.deps);
      await sweep(this.deps.clock);
      const period = periodOf(this.deps.clock.now());
      if (period !== this.period) {
        await renewAll(this.deps.pricing, this.deps.clock.now());
        this.period = period;
      }
      const day = dayOf(this.deps.clock.now().toISOString());
      if (day !== this.day) {
        await runFunnelDaily(this.deps.clock.now());
        this.day = day;
      }
      for (const kind of ['weekly', 'monthly'] as const) {
        const ended = lastCompletedPeriod(kind, this.deps.clock.now()).id;
        if (ended !== this.digestPeriods[kind]) {
          await runDigests(kind, this.deps);
          this.digestPeriods[kind] = ended;
        }
      }
    } catch (error) {
      console.error('[scheduler]', error);
    }
  }
}
