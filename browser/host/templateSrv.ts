/**
 * A TemplateSrv for the harness, set with `setTemplateSrv` as Grafana does.
 *
 * Variables come from the dashboard's `templating.list` (their `current` value). `replace` handles the three
 * syntaxes Grafana accepts (`$var`, `${var}` / `${var:format}`, `[[var]]`), scoped variables (which win over
 * dashboard variables, as in Grafana), the built-ins `__from` / `__to` (epoch ms of the current range) and
 * the formats `csv`, `pipe`, `json`, `raw`/`text`, `glob` (Grafana's default for multi-value variables).
 * Unknown variables are left untouched, as in Grafana.
 */
import type { ScopedVars, TimeRange, TypedVariableModel } from '@grafana/data';
import type { TemplateSrv } from '@grafana/runtime';

// Same pattern as Grafana's variableRegex.
const VARIABLE_REGEX = /\$(\w+)|\[\[(\w+?)(?::(\w+))?\]\]|\${(\w+)(?:\.([^:^\}]+))?(?::([^\}]+))?}/g;

export interface DashboardVariable {
  name: string;
  type?: string;
  current?: { value?: string | string[]; text?: string | string[] };
  [key: string]: unknown;
}

function formatValue(value: string | string[], format: string | Function | undefined): string {
  if (typeof format === 'function') {
    return String(format(value));
  }
  const values = Array.isArray(value) ? value : [value];
  switch (format) {
    case 'csv':
      return values.join(',');
    case 'pipe':
      return values.join('|');
    case 'json':
      return JSON.stringify(Array.isArray(value) ? value : value);
    case 'raw':
    case 'text':
      return values.join(',');
    case 'glob':
    default:
      return values.length > 1 ? `{${values.join(',')}}` : (values[0] ?? '');
  }
}

export class HarnessTemplateSrv implements TemplateSrv {
  private variables: DashboardVariable[] = [];
  private range?: TimeRange;

  setVariables(variables: DashboardVariable[]): void {
    this.variables = variables;
  }

  getVariables(): TypedVariableModel[] {
    return this.variables as unknown as TypedVariableModel[];
  }

  updateTimeRange(timeRange: TimeRange): void {
    this.range = timeRange;
  }

  containsTemplate(target?: string): boolean {
    if (!target) {
      return false;
    }
    VARIABLE_REGEX.lastIndex = 0;
    let m: RegExpExecArray | null;
    while ((m = VARIABLE_REGEX.exec(target))) {
      const name = m[1] || m[2] || m[4];
      if (this.lookup(name, undefined) !== undefined) {
        return true;
      }
    }
    return false;
  }

  private lookup(name: string, scopedVars: ScopedVars | undefined): string | string[] | undefined {
    const scoped = scopedVars?.[name];
    if (scoped !== undefined && scoped !== null) {
      const v = (scoped as { value: unknown }).value;
      return Array.isArray(v) ? v.map(String) : String(v);
    }
    if (name === '__from' && this.range) {
      return String(this.range.from.valueOf());
    }
    if (name === '__to' && this.range) {
      return String(this.range.to.valueOf());
    }
    const variable = this.variables.find((v) => v.name === name);
    if (!variable || !variable.current) {
      return undefined;
    }
    const value = variable.current.value;
    if (value === undefined) {
      return undefined;
    }
    if (Array.isArray(value)) {
      return value.length === 1 && value[0] === '$__all' ? this.allValues(variable) : value;
    }
    return value === '$__all' ? this.allValues(variable) : value;
  }

  private allValues(variable: DashboardVariable): string[] {
    const options = (variable.options as Array<{ value: string }> | undefined) ?? [];
    return options.map((o) => o.value).filter((v) => v !== '$__all');
  }

  replace(target?: string, scopedVars?: ScopedVars, format?: string | Function): string {
    if (!target) {
      return target ?? '';
    }
    return target.replace(VARIABLE_REGEX, (match, var1, var2, fmt2, var3, _fieldPath, fmt3) => {
      const name = var1 || var2 || var3;
      const value = this.lookup(name, scopedVars);
      if (value === undefined) {
        return match;
      }
      return formatValue(value, fmt2 || fmt3 || format);
    });
  }
}
