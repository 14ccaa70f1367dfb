/** @jest-environment node */
import { fmtDay, fmtMinute, plural, spacingText } from './text';

describe('notice wording', () => {
  it('fmtDay(t) is the UTC day and fmtMinute(t) the UTC minute without seconds', () => {
    const t = Date.UTC(2024, 0, 3, 8, 5, 59);
    expect(fmtDay(t)).toBe('2024-01-03');
    expect(fmtMinute(t)).toBe('2024-01-03 08:05');
  });

  it('spacingText(ms) says whole days in d, whole hours in h and anything else in rounded minutes', () => {
    expect(spacingText(86_400_000)).toBe('1 d');
    expect(spacingText(2 * 86_400_000)).toBe('2 d');
    expect(spacingText(8 * 3_600_000)).toBe('8 h');
    expect(spacingText(36 * 3_600_000)).toBe('36 h');
    expect(spacingText(15 * 60_000 + 20_000)).toBe('15 min');
  });

  it('plural(n) is empty for one and "s" otherwise', () => {
    expect(`1 bar${plural(1)}, 0 bar${plural(0)}, 2 bar${plural(2)}`).toBe('1 bar, 0 bars, 2 bars');
  });
});
