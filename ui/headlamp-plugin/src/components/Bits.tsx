import { Chip } from '@mui/material';
import React from 'react';
import { resultColour } from '../model';

export function ResultChip({ result }: { result?: string }) {
  if (!result) return <span>—</span>;
  const words = result === 'TimedOut' ? 'Timed out' : result;
  return <Chip size="small" label={words} color={resultColour(result)} variant="filled" />;
}

/** Conditions whose True is bad news (kstatus's abnormal-true ones and ours). */
const ABNORMAL_TRUE = new Set(['Reconciling', 'Stalled', 'Degraded']);

/** A condition's status, green when it is the good answer for its type, red when not. */
export function ReadyChip({ status, type = 'Ready' }: { status: string; type?: string }) {
  const good = ABNORMAL_TRUE.has(type) ? 'False' : 'True';
  const neutral = status === 'Unknown' || type === 'Suspended';
  const colour = neutral ? 'default' : status === good ? 'success' : 'error';
  return <Chip size="small" variant="outlined" label={status} color={colour} />;
}

/** A time as UTC text with the browser's local reading as its tooltip. */
export function Time({ at }: { at?: string }) {
  if (!at) return <span>—</span>;
  const date = new Date(at);
  if (Number.isNaN(date.getTime())) return <span>{at}</span>;
  return (
    <time dateTime={at} title={date.toLocaleString()}>
      {date
        .toISOString()
        .replace('T', ' ')
        .replace(/:\d\d\.\d+Z$/, ' UTC')}
    </time>
  );
}
