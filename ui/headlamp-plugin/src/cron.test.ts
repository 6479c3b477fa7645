import { describeSchedule, nextRuns, parseCron } from './cron';

const iso = (dates: Date[]) => dates.map(d => d.toISOString());

describe('cron in the browser', () => {
  it('finds the next runs in UTC', () => {
    expect(iso(nextRuns('0 3 * * *', 'UTC', new Date('2026-03-01T03:00:00Z'), 3))).toEqual([
      '2026-03-02T03:00:00.000Z',
      '2026-03-03T03:00:00.000Z',
      '2026-03-04T03:00:00.000Z',
    ]);
  });

  it('reads the time zone, across a change to summer time', () => {
    expect(
      iso(nextRuns('30 2 * * *', 'Europe/Berlin', new Date('2026-03-27T12:00:00Z'), 3))
    ).toEqual(['2026-03-28T01:30:00.000Z', '2026-03-30T00:30:00.000Z', '2026-03-31T00:30:00.000Z']);
  });

  it('matches either day when day of month and weekday are both given', () => {
    expect(iso(nextRuns('0 0 13 * 5', 'UTC', new Date('2026-02-01T00:00:00Z'), 3))).toEqual([
      '2026-02-06T00:00:00.000Z',
      '2026-02-13T00:00:00.000Z',
      '2026-02-20T00:00:00.000Z',
    ]);
  });

  it('expands macros, steps, ranges and names', () => {
    expect(iso(nextRuns('@hourly', undefined, new Date('2026-01-01T00:10:00Z'), 2))).toEqual([
      '2026-01-01T01:00:00.000Z',
      '2026-01-01T02:00:00.000Z',
    ]);
    expect(
      iso(nextRuns('*/20 9-10 * jan mon-fri', 'UTC', new Date('2026-01-02T10:30:00Z'), 3))
    ).toEqual(['2026-01-02T10:40:00.000Z', '2026-01-05T09:00:00.000Z', '2026-01-05T09:20:00.000Z']);
  });

  it('names the field at fault', () => {
    expect(() => parseCron('61 * * * *')).toThrow(/minute: 61 is outside 0-59/);
    expect(() => parseCron('* * *')).toThrow(/expected 5 fields/);
    expect(() => parseCron('* * * * */0')).toThrow(/step/);
  });

  it('says the schedule in words with its zone', () => {
    expect(describeSchedule('0 3 * * *', 'Europe/Berlin')).toBe('At 03:00 (Europe/Berlin)');
    expect(describeSchedule('0 3 * * *', '')).toBe('At 03:00 (UTC)');
  });
});
