/**
 * The report a failed maintenance run attaches to its error, read without loading the run itself
 * (`maintain.ts` is loaded on first use).
 */
import type { MaintenanceReport } from './maintain.js';

/** The report a failed `maintainCustomKeyStore` attached to its error, if any. */
export function maintenanceReportOf(error: unknown): MaintenanceReport | undefined {
  const report = (error as { maintenanceReport?: unknown } | null | undefined)?.maintenanceReport;
  return typeof report === 'object' && report !== null ? (report as MaintenanceReport) : undefined;
}
