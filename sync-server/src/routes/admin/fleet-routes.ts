import type { Services } from '../../services.js';
import type { App } from '../schemas.js';
import { registerAdminEventRoutes } from './admin-events-routes.js';
import { registerAlertRoutes } from './alerts-routes.js';
import { registerAuditRoutes } from './audit-routes.js';
import { registerEnrollmentRoutes } from './enrollment-routes.js';
import { registerLaneRoutes } from './lane-routes.js';
import { registerScanRoutes } from './scans-routes.js';
import { registerStatsRoutes } from './stats-routes.js';

/**
 * `/api/v1/admin/…` of the fleet, one file per URL prefix: `/enrollments`, `/kiosks` (the
 * lanes), `/scans`, `/alerts`, `/audit`, `/events` and `/stats`.
 */
export function registerFleetRoutes(app: App, s: Services): void {
  registerEnrollmentRoutes(app, s);
  registerLaneRoutes(app, s);
  registerScanRoutes(app, s);
  registerAlertRoutes(app, s);
  registerAuditRoutes(app, s);
  registerAdminEventRoutes(app, s);
  registerStatsRoutes(app, s);
}
