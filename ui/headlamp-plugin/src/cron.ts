/**
 * Cron in the browser, for the create wizard only: the schedule in words and the next run
 * times, both labelled approximate in the UI. The operator's answers (status.schedule)
 * are the authoritative ones; the webhook judges the schedule at the dry-run create.
 */
import cronstrue from 'cronstrue';

export const PRESETS: { label: string; schedule: string }[] = [
  { label: 'Every hour', schedule: '@hourly' },
  { label: 'Every day at midnight', schedule: '@daily' },
  { label: 'Every day at 03:00', schedule: '0 3 * * *' },
  { label: 'Weekdays at 02:00', schedule: '0 2 * * 1-5' },
  { label: 'Every Monday at midnight', schedule: '@weekly' },
  { label: 'First of the month', schedule: '@monthly' },
];

const MACROS: Record<string, string> = {
  '@yearly': '0 0 1 1 *',
  '@annually': '0 0 1 1 *',
  '@monthly': '0 0 1 * *',
  '@weekly': '0 0 * * 0',
  '@daily': '0 0 * * *',
  '@midnight': '0 0 * * *',
  '@hourly': '0 * * * *',
};

const FIELDS: { name: string; min: number; max: number; names?: string[] }[] = [
  { name: 'minute', min: 0, max: 59 },
  { name: 'hour', min: 0, max: 23 },
  { name: 'day of month', min: 1, max: 31 },
  {
    name: 'month',
    min: 1,
    max: 12,
    names: ['jan', 'feb', 'mar', 'apr', 'may', 'jun', 'jul', 'aug', 'sep', 'oct', 'nov', 'dec'],
  },
  { name: 'day of week', min: 0, max: 7, names: ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'] },
];

export interface Cron {
  sets: Set<number>[];
  /** Day of month and day of week both restricted: a day matches either (cron's rule). */
  eitherDay: boolean;
}

function value(text: string, field: (typeof FIELDS)[number]): number {
  const index = field.names?.indexOf(text.toLowerCase()) ?? -1;
  const offset = field.name === 'month' ? 1 : 0;
  const n = index >= 0 ? index + offset : /^\d+$/.test(text) ? Number(text) : NaN;
  if (!Number.isInteger(n)) throw new Error(`${field.name}: "${text}" is not a number`);
  if (n < field.min || n > field.max) {
    throw new Error(`${field.name}: ${n} is outside ${field.min}-${field.max}`);
  }
  return n;
}

function parseField(text: string, field: (typeof FIELDS)[number]): Set<number> {
  const out = new Set<number>();
  for (const part of text.split(',')) {
    const [range, stepText] = part.split('/');
    const step = stepText === undefined ? 1 : Number(stepText);
    if (!Number.isInteger(step) || step < 1) {
      throw new Error(`${field.name}: step "${stepText}" must be a positive number`);
    }
    let low: number;
    let high: number;
    if (range === '*' || range === '?') {
      [low, high] = [field.min, field.max];
    } else if (range.includes('-')) {
      const [a, b] = range.split('-');
      [low, high] = [value(a, field), value(b, field)];
      if (low > high) throw new Error(`${field.name}: range ${range} runs backwards`);
    } else {
      low = value(range, field);
      high = stepText === undefined ? low : field.max;
    }
    for (let n = low; n <= high; n += step) out.add(field.name === 'day of week' ? n % 7 : n);
  }
  return out;
}

/** The five fields of `schedule` (macros expanded); throws an Error naming the field. */
export function parseCron(schedule: string): Cron {
  const text = MACROS[schedule.trim().toLowerCase()] ?? schedule.trim();
  const parts = text.split(/\s+/).filter(Boolean);
  if (parts.length !== 5) {
    throw new Error(`expected 5 fields (minute hour day month weekday), got ${parts.length}`);
  }
  const sets = parts.map((part, i) => parseField(part, FIELDS[i]));
  const restricted = (i: number) => !parts[i].startsWith('*') && !parts[i].startsWith('?');
  return { sets, eitherDay: restricted(2) && restricted(4) };
}

export function describeSchedule(schedule: string, timeZone?: string): string {
  const words = cronstrue.toString(schedule, { use24HourTimeFormat: true, verbose: false });
  return `${words} (${timeZone || 'UTC'})`;
}

interface Local {
  minute: number;
  hour: number;
  day: number;
  month: number;
  weekday: number;
}

const WEEKDAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];

function localParts(format: Intl.DateTimeFormat, at: Date): Local {
  const parts = Object.fromEntries(format.formatToParts(at).map(p => [p.type, p.value]));
  return {
    minute: Number(parts.minute),
    hour: Number(parts.hour) % 24,
    day: Number(parts.day),
    month: Number(parts.month),
    weekday: WEEKDAYS.indexOf(parts.weekday),
  };
}

function dayMatches(cron: Cron, local: Local): boolean {
  const [, , days, months, weekdays] = cron.sets;
  if (!months.has(local.month)) return false;
  const byDay = days.has(local.day);
  const byWeekday = weekdays.has(local.weekday);
  return cron.eitherDay ? byDay || byWeekday : byDay && byWeekday;
}

/** The next `count` times after `from` at which `schedule` fires in `timeZone`. Whole
 * days and hours that cannot match are skipped, so a year's search stays short. */
export function nextRuns(
  schedule: string,
  timeZone: string | undefined,
  from: Date,
  count = 5
): Date[] {
  const cron = parseCron(schedule);
  const format = new Intl.DateTimeFormat('en-US', {
    timeZone: timeZone || 'UTC',
    hourCycle: 'h23',
    minute: 'numeric',
    hour: 'numeric',
    day: 'numeric',
    month: 'numeric',
    weekday: 'short',
  });
  const minute = 60_000;
  let t = Math.floor(from.getTime() / minute) * minute + minute;
  const end = from.getTime() + 5 * 366 * 24 * 60 * minute;
  const found: Date[] = [];
  while (found.length < count && t < end) {
    const local = localParts(format, new Date(t));
    if (!dayMatches(cron, local)) {
      t += (24 * 60 - (local.hour * 60 + local.minute)) * minute;
    } else if (!cron.sets[1].has(local.hour)) {
      t += (60 - local.minute) * minute;
    } else if (!cron.sets[0].has(local.minute)) {
      t += minute;
    } else {
      found.push(new Date(t));
      t += minute;
    }
  }
  return found;
}
