import type { AlertDeps } from '../functions/alerts/notify.ts';
import { sweep } from '../functions/metering/sweeper.ts';
import { renewAll } from '../functions/plans/renew.ts';
import { periodOf } from '../functions/plans/renewal.ts';
import { fireDueReminders } from '../functions/reminders/fire.ts';

/**
 * The local stand-in for EventBridge Scheduler: fires due reminders, refunds abandoned charges, releases expired holds,
 * and runs the monthly plan renewal when a new month begins while the stack is running.
 */
export class LocalScheduler {
  private timer?: NodeJS.Timeout;
  private running?: Promise<void>;
  private period: string;
  private readonly deps: AlertDeps;
  private readonly intervalMs: number;

  constructor(deps: AlertDeps, intervalMs = 5_000) {
    this.deps = deps;
    this.intervalMs = intervalMs;
    this.period = periodOf(deps.clock.now());
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
    } catch (error) {
      console.error('[scheduler]', error);
    }
  }
}
