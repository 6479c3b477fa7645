/**
 * The DynamicJob API as the plugin reads and writes it (dynamicjobs.io/v1alpha1), and the
 * writes the CLI makes (job_operator/cli): the same annotations and fields, so a job
 * suspended, run or cloned here looks exactly as if `dynamicjobs` had done it.
 */

export const GROUP = 'dynamicjobs.io';
export const VERSION = 'v1alpha1';
export const API_VERSION = `${GROUP}/${VERSION}`;

export const ANNOTATION_RUN_REQUESTED = `${GROUP}/run-requested-at`;
export const ANNOTATION_RUN_PARAMETERS = `${GROUP}/run-parameters`;
export const ANNOTATION_SUSPEND_REASON = `${GROUP}/suspend-reason`;
export const ANNOTATION_SUSPENDED_BY = `${GROUP}/suspended-by`;
export const ANNOTATION_SUSPENDED_AT = `${GROUP}/suspended-at`;
export const SUSPENSION_ANNOTATIONS = [
  ANNOTATION_SUSPEND_REASON,
  ANNOTATION_SUSPENDED_BY,
  ANNOTATION_SUSPENDED_AT,
];
export const TAG_LABEL_PREFIX = `tags.${GROUP}/`;
export const LAST_APPLIED = 'kubectl.kubernetes.io/last-applied-configuration';
export const OPERATOR_FINALIZER = `${GROUP}/operator`;
export const REASON_MAX_LENGTH = 1024;

export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
export type JsonObject = { [key: string]: Json };

export interface Condition {
  type: string;
  status: string;
  reason?: string;
  message?: string;
  lastTransitionTime?: string;
}

export interface Attempt {
  attempt: number;
  startedAt?: string;
  finishedAt?: string;
  result?: string;
  message?: string;
}

export interface Run {
  id: string;
  trigger?: string;
  startedAt?: string;
  finishedAt?: string;
  result?: string;
  attempts?: number;
  message?: string;
  outputs?: JsonObject;
  dryRun?: boolean;
  parameterOverrides?: JsonObject;
  attemptHistory?: Attempt[];
  notifications?: { template: string; result?: string; message?: string }[];
}

export interface Notifier {
  template: string;
  parameters?: JsonObject;
}

export interface DynamicJobSpec {
  template: string;
  parameters?: JsonObject;
  schedule: string;
  timeZone?: string;
  suspend?: boolean;
  concurrencyPolicy?: string;
  timeoutSeconds?: number;
  retries?: { limit?: number; backoffSeconds?: number };
  notifications?: { onFailure?: Notifier[]; onSuccess?: Notifier[]; onMissedRun?: Notifier[] };
  tags?: Record<string, string>;
  [key: string]: unknown;
}

export interface ObjectMeta {
  name: string;
  namespace?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  finalizers?: string[];
  creationTimestamp?: string;
  resourceVersion?: string;
  [key: string]: unknown;
}

export interface DynamicJob {
  apiVersion?: string;
  kind?: string;
  metadata: ObjectMeta;
  spec: DynamicJobSpec;
  status?: {
    conditions?: Condition[];
    schedule?: { description?: string; nextRuns?: string[]; neverFires?: boolean };
    lastRun?: Run;
    recentRuns?: Run[];
    lastHandledRunRequest?: string;
  };
}

export interface DynamicJobTemplate {
  metadata: ObjectMeta;
  spec: {
    version?: string;
    description?: string;
    parametersSchema?: JsonObject;
    examples?: JsonObject[];
    /** What each run reports in its record's outputs (absent: the template declares none). */
    outputsSchema?: JsonObject;
    [key: string]: unknown;
  };
}

/** The results a run can have, and the colour each is shown in. */
export const RESULTS = ['Running', 'Succeeded', 'Failed', 'TimedOut', 'Missed'] as const;
export type ResultColour = 'info' | 'success' | 'error' | 'warning' | 'default';

export function resultColour(result: string | undefined): ResultColour {
  switch (result) {
    case 'Running':
      return 'info';
    case 'Succeeded':
      return 'success';
    case 'Failed':
      return 'error';
    case 'TimedOut':
    case 'Missed':
      return 'warning';
    default:
      return 'default';
  }
}

export function condition(job: DynamicJob, type: string): Condition | undefined {
  return job.status?.conditions?.find(c => c.type === type);
}

/** "True", "False" or "Unknown" (no condition yet). */
export function readiness(job: DynamicJob): string {
  return condition(job, 'Ready')?.status ?? 'Unknown';
}

export function lastResult(job: DynamicJob): string | undefined {
  return job.status?.lastRun?.result;
}

export function suspendReason(job: DynamicJob): string | undefined {
  return job.metadata.annotations?.[ANNOTATION_SUSPEND_REASON];
}

/** `KEY=VALUE` for each of spec.tags. */
export function tagsOf(job: DynamicJob): string[] {
  return Object.entries(job.spec.tags ?? {})
    .map(([key, value]) => `${key}=${value}`)
    .sort();
}

export interface JobFilter {
  namespace?: string;
  tag?: string;
  template?: string;
  result?: string;
  search?: string;
}

export function matches(job: DynamicJob, filter: JobFilter): boolean {
  if (filter.namespace && job.metadata.namespace !== filter.namespace) return false;
  if (filter.template && job.spec.template !== filter.template) return false;
  if (filter.result && (lastResult(job) ?? 'None') !== filter.result) return false;
  if (filter.tag && !tagsOf(job).includes(filter.tag)) return false;
  const search = filter.search?.trim().toLowerCase();
  return !search || job.metadata.name.toLowerCase().includes(search);
}

/** A run's duration in words ("2m 5s"); empty while it has no end. */
export function duration(run: { startedAt?: string; finishedAt?: string }): string {
  if (!run.startedAt || !run.finishedAt) return '';
  const ms = Date.parse(run.finishedAt) - Date.parse(run.startedAt);
  if (!Number.isFinite(ms) || ms < 0) return '';
  if (ms < 1000) return `${ms} ms`;
  const seconds = Math.round(ms / 1000);
  const hours = Math.floor(seconds / 3600);
  const minutes = Math.floor((seconds % 3600) / 60);
  const rest = seconds % 60;
  return [
    hours && `${hours}h`,
    minutes && `${minutes}m`,
    (rest || (!hours && !minutes)) && `${rest}s`,
  ]
    .filter(Boolean)
    .join(' ');
}

/** The merge patch of `dynamicjobs run NAME [-p ...]`. */
export function runNowPatch(overrides: JsonObject, now: Date): JsonObject {
  const hasOverrides = Object.keys(overrides).length > 0;
  return {
    metadata: {
      annotations: {
        [ANNOTATION_RUN_REQUESTED]: now.toISOString(),
        [ANNOTATION_RUN_PARAMETERS]: hasOverrides ? stableJson(overrides) : null,
      },
    },
  };
}

/** A suspension reason as the CLI accepts it: whitespace collapsed, not empty, bounded. */
export function checkedReason(text: string): { reason?: string; problem?: string } {
  const reason = text.split(/\s+/).filter(Boolean).join(' ');
  if (!reason) return { problem: "Say why, e.g. 'database migration until Friday'" };
  if (reason.length > REASON_MAX_LENGTH) {
    return { problem: `${reason.length} characters; at most ${REASON_MAX_LENGTH}` };
  }
  return { reason };
}

/** The merge patch of `dynamicjobs suspend NAME --reason TEXT`. */
export function suspendPatch(reason: string, by: string | undefined, now: Date): JsonObject {
  const annotations: JsonObject = {
    [ANNOTATION_SUSPEND_REASON]: reason,
    [ANNOTATION_SUSPENDED_AT]: now.toISOString(),
  };
  if (by) annotations[ANNOTATION_SUSPENDED_BY] = by;
  return { spec: { suspend: true }, metadata: { annotations } };
}

/** The merge patch of `dynamicjobs resume NAME`: the reason annotations go too. */
export function resumePatch(): JsonObject {
  const annotations: JsonObject = {};
  for (const key of SUSPENSION_ANNOTATIONS) annotations[key] = null;
  return { spec: { suspend: false }, metadata: { annotations } };
}

function keptAnnotation(key: string): boolean {
  if (key === LAST_APPLIED) return false;
  return !key.startsWith(`${GROUP}/`) || SUSPENSION_ANNOTATIONS.includes(key);
}

/** `labels` with one `tags.dynamicjobs.io/KEY` label per tag of the spec, and no other. */
export function tagLabels(
  labels: Record<string, string>,
  tags: Record<string, string> | undefined
): Record<string, string> {
  const kept = Object.fromEntries(
    Object.entries(labels).filter(([key]) => !key.startsWith(TAG_LABEL_PREFIX))
  );
  const fromTags = Object.fromEntries(
    Object.entries(tags ?? {})
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([key, value]) => [`${TAG_LABEL_PREFIX}${key}`, String(value)])
  );
  return { ...kept, ...fromTags };
}

/** The clean manifest of `dynamicjobs export`: what the user declared, no more. */
export function portable(job: DynamicJob): DynamicJob {
  const spec = structuredClone(job.spec);
  const metadata: ObjectMeta = { name: job.metadata.name };
  if (job.metadata.namespace) metadata.namespace = job.metadata.namespace;
  const labels = tagLabels(job.metadata.labels ?? {}, spec.tags);
  if (Object.keys(labels).length) metadata.labels = labels;
  const annotations = Object.fromEntries(
    Object.entries(job.metadata.annotations ?? {}).filter(([key]) => keptAnnotation(key))
  );
  if (Object.keys(annotations).length) metadata.annotations = annotations;
  const finalizers = (job.metadata.finalizers ?? []).filter(f => f !== OPERATOR_FINALIZER);
  if (finalizers.length) metadata.finalizers = finalizers;
  return {
    apiVersion: job.apiVersion ?? API_VERSION,
    kind: job.kind ?? 'DynamicJob',
    metadata,
    spec,
  };
}

/** `dynamicjobs clone SRC NEW -p ...`: SRC's manifest under a new name, its suspension's
 * reason left behind, the overrides merged into the parameters. */
export function cloned(source: DynamicJob, name: string, overrides: JsonObject): DynamicJob {
  const body = portable(source);
  body.metadata.name = name;
  const annotations = Object.fromEntries(
    Object.entries(body.metadata.annotations ?? {}).filter(
      ([key]) => !SUSPENSION_ANNOTATIONS.includes(key)
    )
  );
  delete body.metadata.annotations;
  if (Object.keys(annotations).length) body.metadata.annotations = annotations;
  body.spec.parameters = { ...(body.spec.parameters ?? {}), ...overrides };
  body.metadata.labels = tagLabels(body.metadata.labels ?? {}, body.spec.tags);
  return body;
}

/** JSON with sorted keys, as the CLI writes the run-parameters annotation. */
export function stableJson(value: Json): string {
  const sort = (v: Json): Json => {
    if (Array.isArray(v)) return v.map(sort);
    if (v && typeof v === 'object') {
      return Object.fromEntries(
        Object.keys(v)
          .sort()
          .map(key => [key, sort(v[key])])
      );
    }
    return v;
  };
  return JSON.stringify(sort(value));
}

export interface FieldProblem {
  field: string;
  message: string;
}

/**
 * The problems in a refusal from the API server. The webhook answers
 * `FIELD: MESSAGE; FIELD: MESSAGE` (job_operator.validation.format_problems) and the API
 * server puts `admission webhook "..." denied the request: ` in front (and Headlamp's
 * ApiProxy its status text, `Unprocessable Entity - `). A message with no
 * field path becomes one problem with the field "".
 */
export function fieldProblems(message: string): FieldProblem[] {
  const denied = message.replace(/^[\s\S]*?admission webhook "[^"]*" denied the request:\s*/, '');
  const start = /(?:^|; )((?:spec|metadata)(?:\.[A-Za-z0-9_-]+|\[[^\]]*\])*): /g;
  const found: { field: string; at: number; body: number }[] = [];
  for (let m = start.exec(denied); m; m = start.exec(denied)) {
    found.push({ field: m[1], at: m.index, body: m.index + m[0].length });
  }
  if (!found.length) return [{ field: '', message: denied }];
  return found.map((f, i) => ({
    field: f.field,
    message: denied.slice(f.body, i + 1 < found.length ? found[i + 1].at : undefined).trim(),
  }));
}

/** The problems that belong to `field` or to anything under it. */
export function problemsAt(problems: FieldProblem[], field: string): FieldProblem[] {
  return problems.filter(
    p => p.field === field || p.field.startsWith(`${field}.`) || p.field.startsWith(`${field}[`)
  );
}

/**
 * The JSON merge patch (RFC 7386) that turns `before` into `after`: what `kubectl edit`
 * sends too, so an edit changes only what the user changed and does not fail on the
 * operator's own writes (status, bookkeeping annotations) made meanwhile.
 */
export function mergePatch(before: Json, after: Json): Json | undefined {
  const isObject = (v: Json): v is JsonObject => !!v && typeof v === 'object' && !Array.isArray(v);
  if (!isObject(before) || !isObject(after)) {
    return JSON.stringify(before) === JSON.stringify(after) ? undefined : after;
  }
  const patch: JsonObject = {};
  for (const key of Object.keys(before)) {
    if (!(key in after)) patch[key] = null;
  }
  for (const [key, value] of Object.entries(after)) {
    if (!(key in before)) {
      patch[key] = value;
      continue;
    }
    const inner = mergePatch(before[key], value);
    if (inner !== undefined) patch[key] = inner;
  }
  return Object.keys(patch).length ? patch : undefined;
}
