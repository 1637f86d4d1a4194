/** Gaps in stored series against the B3 trading calendar: holidays and weekends are not gaps. */
import { describe, expect, it } from 'vitest';
import { sessionGaps } from '../../bridge/marketdata/coverage.js';

describe('session gaps', () => {
  it('skips weekends and B3 holidays (Christmas Eve, Christmas, New Year’s Eve and Day), names missing sessions', () => {
    expect(sessionGaps(['2024-12-23', '2024-12-26', '2024-12-30', '2025-01-02'])).toEqual({ gaps: [{ from: '2024-12-27', to: '2024-12-27', days: 1 }] });
    expect(sessionGaps(['2024-12-02', '2024-12-06']).gaps).toEqual([{ from: '2024-12-03', to: '2024-12-05', days: 3 }]);
    // Carnival 2025 (03–04/03) closed; Ash Wednesday (05/03) opens late but is a session.
    expect(sessionGaps(['2025-02-28', '2025-03-06']).gaps).toEqual([{ from: '2025-03-05', to: '2025-03-05', days: 1 }]);
  });

  it('checks any year against the rule-based calendar (Carnival 2035: 05–06/02)', () => {
    expect(sessionGaps(['2035-02-02', '2035-02-08']).gaps).toEqual([{ from: '2035-02-07', to: '2035-02-07', days: 1 }]);
  });
});
