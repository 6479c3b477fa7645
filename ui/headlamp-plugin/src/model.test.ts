import {
  ANNOTATION_RUN_PARAMETERS,
  ANNOTATION_RUN_REQUESTED,
  ANNOTATION_SUSPEND_REASON,
  checkedReason,
  cloned,
  duration,
  DynamicJob,
  fieldProblems,
  matches,
  mergePatch,
  portable,
  problemsAt,
  resultColour,
  resumePatch,
  runNowPatch,
  suspendPatch,
} from './model';

function job(
  overrides: Partial<DynamicJob['spec']> = {},
  meta: Partial<DynamicJob['metadata']> = {}
): DynamicJob {
  return {
    apiVersion: 'dynamicjobs.io/v1alpha1',
    kind: 'DynamicJob',
    metadata: {
      name: 'nightly-export',
      namespace: 'team-a',
      uid: 'u-1',
      resourceVersion: '42',
      labels: { app: 'x', 'tags.dynamicjobs.io/stale': 'yes' },
      annotations: {
        'dynamicjobs.io/run-requested-at': '2026-01-01T00:00:00Z',
        'kopf.zalando.org/last-handled-configuration': '{}',
        'dynamicjobs.io/suspend-reason': 'migration',
        'kubectl.kubernetes.io/last-applied-configuration': '{}',
        owner: 'team-a',
      },
      finalizers: ['dynamicjobs.io/operator', 'other/keep'],
      ...meta,
    },
    spec: {
      template: 'data-export',
      schedule: '0 3 * * *',
      tags: { team: 'a' },
      parameters: { format: 'csv' },
      ...overrides,
    },
    status: { lastRun: { id: 'r1', result: 'Failed' } },
  };
}

describe('the writes the CLI makes', () => {
  it('run now sets the request time and the overrides as sorted JSON', () => {
    const patch = runNowPatch({ z: 1, a: { y: 2, b: 3 } }, new Date('2026-02-03T04:05:06.789Z'));
    expect(patch).toEqual({
      metadata: {
        annotations: {
          [ANNOTATION_RUN_REQUESTED]: '2026-02-03T04:05:06.789Z',
          [ANNOTATION_RUN_PARAMETERS]: '{"a":{"b":3,"y":2},"z":1}',
        },
      },
    });
  });

  it('run now without overrides removes earlier ones', () => {
    const patch = runNowPatch({}, new Date(0)) as {
      metadata: { annotations: Record<string, unknown> };
    };
    expect(patch.metadata.annotations[ANNOTATION_RUN_PARAMETERS]).toBeNull();
  });

  it('suspend sets spec.suspend and the reason annotations; resume clears them', () => {
    expect(suspendPatch('db move', 'alice', new Date('2026-01-01T00:00:00Z'))).toEqual({
      spec: { suspend: true },
      metadata: {
        annotations: {
          [ANNOTATION_SUSPEND_REASON]: 'db move',
          'dynamicjobs.io/suspended-at': '2026-01-01T00:00:00.000Z',
          'dynamicjobs.io/suspended-by': 'alice',
        },
      },
    });
    expect(resumePatch()).toEqual({
      spec: { suspend: false },
      metadata: {
        annotations: {
          'dynamicjobs.io/suspend-reason': null,
          'dynamicjobs.io/suspended-by': null,
          'dynamicjobs.io/suspended-at': null,
        },
      },
    });
  });

  it('a reason is collapsed, and refused when empty or too long', () => {
    expect(checkedReason('  db \n move ')).toEqual({ reason: 'db move' });
    expect(checkedReason('   ').problem).toMatch(/Say why/);
    expect(checkedReason('x'.repeat(1025)).problem).toMatch(/at most 1024/);
  });

  it('export keeps what the user declared only', () => {
    expect(portable(job())).toEqual({
      apiVersion: 'dynamicjobs.io/v1alpha1',
      kind: 'DynamicJob',
      metadata: {
        name: 'nightly-export',
        namespace: 'team-a',
        labels: { app: 'x', 'tags.dynamicjobs.io/team': 'a' },
        annotations: {
          'dynamicjobs.io/suspend-reason': 'migration',
          owner: 'team-a',
          'kopf.zalando.org/last-handled-configuration': '{}',
        },
        finalizers: ['other/keep'],
      },
      spec: job().spec,
    });
  });

  it('clone takes a new name, merges overrides and leaves the suspension reason', () => {
    const copy = cloned(job(), 'nightly-export-eu', { region: 'eu' });
    expect(copy.metadata.name).toBe('nightly-export-eu');
    expect(copy.metadata.annotations).toEqual({
      owner: 'team-a',
      'kopf.zalando.org/last-handled-configuration': '{}',
    });
    expect(copy.spec.parameters).toEqual({ format: 'csv', region: 'eu' });
  });
});

describe('reading a job', () => {
  it('filters by namespace, tag, template, result and name', () => {
    const j = job();
    expect(matches(j, {})).toBe(true);
    expect(
      matches(j, {
        namespace: 'team-a',
        tag: 'team=a',
        template: 'data-export',
        result: 'Failed',
        search: 'EXPORT',
      })
    ).toBe(true);
    expect(matches(j, { namespace: 'team-b' })).toBe(false);
    expect(matches(j, { tag: 'team=b' })).toBe(false);
    expect(matches(j, { template: 'backup' })).toBe(false);
    expect(matches(j, { result: 'Succeeded' })).toBe(false);
    expect(matches({ ...j, status: {} }, { result: 'None' })).toBe(true);
    expect(matches(j, { search: 'cleanup' })).toBe(false);
  });

  it('colours each result', () => {
    expect(
      ['Running', 'Succeeded', 'Failed', 'TimedOut', 'Missed', undefined].map(resultColour)
    ).toEqual(['info', 'success', 'error', 'warning', 'warning', 'default']);
  });

  it('gives a duration in words', () => {
    expect(
      duration({ startedAt: '2026-01-01T00:00:00.000Z', finishedAt: '2026-01-01T01:02:05.000Z' })
    ).toBe('1h 2m 5s');
    expect(
      duration({ startedAt: '2026-01-01T00:00:00.000Z', finishedAt: '2026-01-01T00:00:00.250Z' })
    ).toBe('250 ms');
    expect(duration({ startedAt: '2026-01-01T00:00:00.000Z' })).toBe('');
  });
});

describe("the webhook's refusals", () => {
  const message =
    'Unprocessable Entity - admission webhook "dynamicjobs.dynamicjobs.io" denied the request: ' +
    'spec.schedule: field 1 (minute) "61": above maximum 59; spec.parameters.retention_days: -1 is less than the minimum of 1; ' +
    "spec.notifications.onFailure[0].parameters.to: 'x' is not an email; with a semicolon";

  it('are split by the fields they name', () => {
    expect(fieldProblems(message)).toEqual([
      { field: 'spec.schedule', message: 'field 1 (minute) "61": above maximum 59' },
      { field: 'spec.parameters.retention_days', message: '-1 is less than the minimum of 1' },
      {
        field: 'spec.notifications.onFailure[0].parameters.to',
        message: "'x' is not an email; with a semicolon",
      },
    ]);
  });

  it('are found under a field', () => {
    const problems = fieldProblems(message);
    expect(problemsAt(problems, 'spec.parameters').map(p => p.field)).toEqual([
      'spec.parameters.retention_days',
    ]);
    expect(problemsAt(problems, 'spec.notifications.onFailure[0]')).toHaveLength(1);
  });

  it('without a field stay whole', () => {
    expect(fieldProblems('Forbidden - nope')).toEqual([{ field: '', message: 'Forbidden - nope' }]);
  });
});

describe('an edit as a merge patch', () => {
  it('holds only what changed; a removed key is null; lists are replaced', () => {
    const before = {
      spec: { schedule: '0 3 * * *', tags: { a: '1', b: '2' }, list: [1, 2] },
      metadata: { name: 'x' },
    };
    const after = {
      spec: { schedule: '0 5 * * *', tags: { a: '1' }, list: [1], suspend: true },
      metadata: { name: 'x' },
    };
    expect(mergePatch(before, after)).toEqual({
      spec: { schedule: '0 5 * * *', tags: { b: null }, list: [1], suspend: true },
    });
    expect(mergePatch(before, structuredClone(before))).toBeUndefined();
  });
});
