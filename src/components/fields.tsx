/**
 * Small form pieces shared by the editors: a text input that commits on blur, a number input that accepts
 * numbers (and optionally `auto` or a `$variable`), checkbox lists for venues and kinds.
 */
import React, { useState } from 'react';
import { Checkbox, InlineField, InlineSwitch, Input, MultiSelect, RadioButtonGroup, Stack } from '@grafana/ui';

/** Label width in Grafana units (8 px): the longest label ("Exchange mirror URL") on one line. */
export const LABEL_WIDTH = 22;

interface TextFieldProps {
  label: string;
  tooltip?: string;
  value: string | undefined;
  placeholder?: string;
  width?: number;
  /** Called on blur with the trimmed text ('' = unset). */
  onCommit: (value: string) => void;
  invalid?: (value: string) => string | undefined;
  testId?: string;
  /** Label width in Grafana units (default LABEL_WIDTH). */
  labelWidth?: number;
}

/** Text input that keeps local state while typing and commits on blur (or Enter). */
export function TextField({
  label,
  tooltip,
  value,
  placeholder,
  width = 16,
  onCommit,
  invalid,
  testId,
  labelWidth = LABEL_WIDTH,
}: TextFieldProps) {
  // A draft exists only while the user edits; otherwise the field shows the query's value.
  const [draft, setDraft] = useState<string | null>(null);
  const text = draft ?? value ?? '';
  const error = invalid ? invalid(text.trim()) : undefined;
  const commit = () => {
    if (error) {
      return;
    }
    setDraft(null);
    if (text.trim() !== (value ?? '')) {
      onCommit(text.trim());
    }
  };
  return (
    <InlineField label={label} tooltip={tooltip} labelWidth={labelWidth} invalid={Boolean(error)} error={error}>
      <Input
        aria-label={label}
        data-testid={testId}
        value={text}
        placeholder={placeholder}
        width={width}
        onChange={(e) => setDraft(e.currentTarget.value)}
        onBlur={commit}
        onKeyDown={(e) => {
          if (e.key === 'Enter') {
            commit();
          }
        }}
      />
    </InlineField>
  );
}

export interface NumberRule {
  integer?: boolean;
  min?: number;
  max?: number;
  allowAuto?: boolean;
  allowVariable?: boolean;
}

/** Parses a number field: '' → undefined; 'auto' / '$var' when allowed; else a number within the rule. */
export function parseNumberField(
  text: string,
  rule: NumberRule
): { ok: true; value: number | string | undefined } | { ok: false; error: string } {
  const t = text.trim();
  if (t === '') {
    return { ok: true, value: undefined };
  }
  if (rule.allowAuto && t === 'auto') {
    return { ok: true, value: 'auto' };
  }
  if (rule.allowVariable && t.startsWith('$')) {
    return { ok: true, value: t };
  }
  const n = Number(t);
  const kinds = [
    rule.integer ? 'an integer' : 'a number',
    rule.min !== undefined ? `≥ ${rule.min}` : '',
    rule.max !== undefined ? `${rule.min !== undefined ? 'and ' : ''}≤ ${rule.max}` : '',
    rule.allowAuto ? "or 'auto'" : '',
    rule.allowVariable ? 'or a $variable' : '',
  ]
    .filter(Boolean)
    .join(' ');
  if (
    !Number.isFinite(n) ||
    (rule.integer && !Number.isInteger(n)) ||
    (rule.min !== undefined && n < rule.min) ||
    (rule.max !== undefined && n > rule.max)
  ) {
    return { ok: false, error: `Expected ${kinds}` };
  }
  return { ok: true, value: n };
}

interface NumberFieldProps extends Omit<TextFieldProps, 'value' | 'onCommit' | 'invalid'> {
  value: number | string | undefined;
  rule: NumberRule;
  onValue: (value: number | string | undefined) => void;
}

export function NumberField({ value, rule, onValue, ...rest }: NumberFieldProps) {
  return (
    <TextField
      {...rest}
      value={value === undefined ? '' : String(value)}
      invalid={(t) => {
        const r = parseNumberField(t, rule);
        return r.ok ? undefined : r.error;
      }}
      onCommit={(t) => {
        const r = parseNumberField(t, rule);
        if (r.ok) {
          onValue(r.value);
        }
      }}
    />
  );
}

interface CheckListProps<T extends string> {
  label: string;
  tooltip?: string;
  options: readonly T[];
  /** Display text per option (default: the value). */
  names?: Partial<Record<T, string>>;
  selected: readonly T[];
  onChange: (selected: T[]) => void;
}

/** A row of checkboxes; keeps the options' order in the result. */
export function CheckList<T extends string>({ label, tooltip, options, names, selected, onChange }: CheckListProps<T>) {
  return (
    // grow: the field takes the row's remaining width, so the chips wrap inside the editor instead of running past it
    <InlineField label={label} tooltip={tooltip} labelWidth={LABEL_WIDTH} grow>
      <Stack gap={1} wrap="wrap" alignItems="center" minWidth={0}>
        {options.map((o) => (
          <Checkbox
            key={o}
            label={names?.[o] ?? o}
            value={selected.includes(o)}
            onChange={(e) => {
              const on = e.currentTarget.checked;
              onChange(options.filter((x) => (x === o ? on : selected.includes(x))));
            }}
          />
        ))}
      </Stack>
    </InlineField>
  );
}

/**
 * A compact multi-value picker (Grafana's MultiSelect): the chosen values as chips in a box of fixed width that fits
 * the editor, the others in its menu. Order of `options` is kept in the result.
 */
export function MultiPick<T extends string>({
  label,
  tooltip,
  options,
  selected,
  onChange,
  placeholder,
  width = 48,
}: {
  label: string;
  tooltip?: string;
  options: readonly T[];
  selected: readonly T[];
  onChange: (sel: T[]) => void;
  placeholder?: string;
  width?: number;
}) {
  return (
    <InlineField label={label} tooltip={tooltip} labelWidth={LABEL_WIDTH}>
      {/* MultiSelect, as the plugin's minimum Grafana (13.1.1) ships it; MultiCombobox is its successor to move to */}
      {/* eslint-disable-next-line @typescript-eslint/no-deprecated */}
      <MultiSelect<T>
        aria-label={label}
        width={width}
        placeholder={placeholder}
        options={options.map((o) => ({ label: o, value: o }))}
        value={selected.filter((s) => options.includes(s)).map((s) => ({ label: s, value: s }))}
        onChange={(items) => {
          const chosen = new Set(items.map((i) => i.value));
          onChange(options.filter((o) => chosen.has(o)));
        }}
      />
    </InlineField>
  );
}

/** A labelled on/off switch. */
export function Toggle({
  label,
  tooltip,
  value,
  onChange,
}: {
  label: string;
  tooltip?: string;
  value: boolean;
  onChange: (v: boolean) => void;
}) {
  return (
    <InlineField label={label} tooltip={tooltip} labelWidth={LABEL_WIDTH}>
      <InlineSwitch aria-label={label} value={value} onChange={(e) => onChange(e.currentTarget.checked)} />
    </InlineField>
  );
}

interface RadioFieldProps<T> {
  label: string;
  tooltip?: string;
  options: Array<{ label: string; value: T; description?: string }>;
  value: T;
  onChange: (v: T) => void;
}

/** A labelled row of radio buttons (the group is named by the label). */
export function RadioField<T>({ label, tooltip, options, value, onChange }: RadioFieldProps<T>) {
  return (
    <InlineField label={label} tooltip={tooltip} labelWidth={LABEL_WIDTH}>
      <RadioButtonGroup<T> aria-label={label} options={options} value={value} onChange={onChange} />
    </InlineField>
  );
}
