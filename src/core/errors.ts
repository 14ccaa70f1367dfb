/**
 * Input error of the BTC Flow engine: bad bundle, bad option, bad timeframe. `field` names what was wrong
 * (e.g. `series[3].points[12][0]` or `lookback`); the message is one line meant for a human.
 */
export class BtcFlowInputError extends Error {
  readonly field: string;
  constructor(field: string, message: string) {
    super(message);
    this.name = 'BtcFlowInputError';
    this.field = field;
    Object.setPrototypeOf(this, BtcFlowInputError.prototype);
  }
}
