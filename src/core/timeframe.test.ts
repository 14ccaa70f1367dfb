/** @jest-environment node */
import { BtcFlowInputError, bucketEndMs, bucketStartMs, parseTimeframe, timeframeMs } from './index';
import { D, t } from './testutil';

describe('bucket boundaries (UTC exchange klines)', () => {
  it('1h and 4h sit on the UTC hour grid', () => {
    expect(bucketStartMs(t('2024-05-05T13:59:59.999'), '1h')).toBe(t('2024-05-05T13:00'));
    expect(bucketStartMs(t('2024-05-05T13:59'), '4h')).toBe(t('2024-05-05T12:00'));
    expect(bucketEndMs(t('2024-05-05T12:00'), '4h')).toBe(t('2024-05-05T16:00'));
  });
  it('1w buckets start on Monday 00:00 UTC', () => {
    // 2024-01-01 was a Monday; 2024-01-07 a Sunday
    expect(bucketStartMs(t('2024-01-07T23:59:59'), '1w')).toBe(t('2024-01-01T00:00'));
    expect(bucketStartMs(t('2024-01-08T00:00'), '1w')).toBe(t('2024-01-08T00:00'));
    expect(new Date(bucketStartMs(t('1970-01-01T00:00'), '1w')).toISOString()).toBe('1969-12-29T00:00:00.000Z');
    expect(bucketEndMs(t('2024-01-01'), '1w')).toBe(t('2024-01-08'));
    const r = Array.from({ length: 500 }, (_, i) => t('2019-03-01') + i * 86_399_999);
    for (const x of r) {
      expect(new Date(bucketStartMs(x, '1w')).getUTCDay()).toBe(1);
    }
  });
  it('3d buckets are epoch-aligned multiples of 3 days', () => {
    // day number 19723 = 2024-01-01; 19722 = 3 × 6574 → the bucket holding 2024-01-01 starts 2023-12-31
    expect(bucketStartMs(t('2024-01-01T12:00'), '3d')).toBe(t('2023-12-31T00:00'));
    expect(bucketStartMs(t('2024-01-03T00:00'), '3d')).toBe(t('2024-01-03T00:00'));
    expect(bucketEndMs(t('2023-12-31'), '3d')).toBe(t('2024-01-03'));
    expect(bucketStartMs(t('1970-01-03T23:00'), '3d')).toBe(0);
    expect((bucketStartMs(t('2031-07-09T05:00'), '3d') / D) % 3).toBe(0);
  });
  it('1M buckets are calendar months (28–31 days, leap years)', () => {
    expect(bucketStartMs(t('2024-02-29T23:00'), '1M')).toBe(t('2024-02-01'));
    expect(bucketEndMs(t('2024-02-01'), '1M')).toBe(t('2024-03-01'));
    expect(bucketEndMs(t('2023-12-01'), '1M')).toBe(t('2024-01-01'));
    expect((bucketEndMs(t('2023-02-01'), '1M') - t('2023-02-01')) / D).toBe(28);
    expect(timeframeMs('1M')).toBe(30 * D);
  });
  it('rejects an unknown timeframe, listing the allowed values', () => {
    expect(() => parseTimeframe('2h')).toThrow(BtcFlowInputError);
    expect(() => parseTimeframe('2h')).toThrow(/allowed: 1h, 4h, 1d, 3d, 1w, 1M/);
  });
});
