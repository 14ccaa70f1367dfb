/**
 * The recorder's Prometheus exporter (`GET /metrics`). See ./exporter.ts and docs/alerting.md.
 */
export * from './metrics';
export { BtcFlowExporter, lastClosedBarIndex } from './exporter';
export type { BarUpdate, ExporterOptions } from './exporter';
export { attachExporter, exportWindow } from './attach';
export type { AttachedExporter, AttachOptions, ExportWindow } from './attach';
