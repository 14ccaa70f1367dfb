/**
 * Types shared by the host page (browser side) and the harness test (Node side). Only plain data crosses
 * the page boundary, so frames are serialised field by field.
 */

export interface SerializedField {
  name: string;
  type: string;
  config: Record<string, unknown>;
  labels?: Record<string, string>;
  values: unknown[];
}

export interface SerializedNotice {
  severity: string;
  text: string;
}

export interface SerializedFrame {
  name?: string;
  refId?: string;
  length: number;
  fields: SerializedField[];
  notices: SerializedNotice[];
  meta?: Record<string, unknown>;
}

export interface SerializedResponse {
  frames: SerializedFrame[];
  /** response.errors (and the legacy response.error) */
  errors: Array<{ message?: string; refId?: string; status?: number }>;
  /** how many values the Observable emitted (Grafana keeps the last) */
  emissions: number;
  /** error thrown by query() or by the Observable, as text; undefined when the query succeeded */
  thrown?: string;
}

/** One emission of a streaming query (ds.query as a panel subscribes to it). */
export interface StreamEmission {
  state: string;
  /** ms since the query was subscribed */
  atMs: number;
  /** refIds whose frames carry the "Partial result" notice */
  partial: string[];
  /** refIds with final frames (no such notice) */
  final: string[];
}

export interface SerializedAnnotationEvent {
  time?: number;
  timeEnd?: number;
  title?: string;
  text?: string;
  tags?: string[];
}

export interface SerializedAnnotationResult extends SerializedResponse {
  /** the DataQuery the annotation support produced (undefined: the annotation was skipped) */
  query?: Record<string, unknown>;
  events: SerializedAnnotationEvent[];
}

export interface HarnessTimeRange {
  from: number;
  to: number;
  raw?: { from: string; to: string };
}

export interface HarnessQueryRequest {
  targets: Array<Record<string, unknown>>;
  range: HarnessTimeRange;
  intervalMs?: number;
  maxDataPoints?: number;
  panelId?: number;
  dashboardUID?: string;
  scopedVars?: Record<string, { text: string; value: unknown }>;
}

export interface ChartSeries {
  label: string;
  times: number[];
  values: Array<number | null>;
  /** 'y' (left axis) or 'y2' (right axis) */
  scale?: string;
  color?: string;
}

export interface ChartPanel {
  title: string;
  series: ChartSeries[];
  /** annotation regions (time .. timeEnd, epoch ms), drawn as shaded bands */
  marks?: Array<{ time: number; timeEnd?: number; label: string; color?: string }>;
}

export interface RequestLogEntry {
  method: string;
  url: string;
  status: number;
}
