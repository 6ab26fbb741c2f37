import { adminAlertRoutes } from '../alerts/routes.ts';
import { consoleRoutes } from '../console/routes.ts';
import { copyRoutes } from '../copy/routes.ts';
import { httpHandler } from '../http/handler.ts';
import { priceBook } from '../pricing/configured.ts';
import { systemClock } from '../shared/clock.ts';
import { accountRoutes } from './routes.ts';

export const handler = httpHandler({
  ...accountRoutes({ pricing: priceBook(), clock: systemClock }),
  ...adminAlertRoutes({ clock: systemClock }),
  ...copyRoutes({ clock: systemClock, pricing: priceBook() }),
  ...consoleRoutes({ clock: systemClock, pricing: priceBook() }),
});
