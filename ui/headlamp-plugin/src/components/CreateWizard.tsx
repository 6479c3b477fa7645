/**
 * Create a DynamicJob in steps: template, parameters, schedule, notifications, review;
 * then a server-side dry run (the webhook judges it) and the create. A refusal's messages
 * go to the fields they name, and the wizard returns to the first step that has one.
 */
import {
  Alert,
  Box,
  Button,
  FormControlLabel,
  MenuItem,
  Paper,
  Radio,
  RadioGroup,
  Step,
  StepLabel,
  Stepper,
  TextField,
  Typography,
} from '@mui/material';
import { dump } from 'js-yaml';
import React from 'react';
import { createJob, listTemplates } from '../api';
import { describeSchedule, nextRuns, PRESETS } from '../cron';
import { asApiError, jobHref, useNavigate } from '../headlamp';
import {
  API_VERSION,
  DynamicJob,
  DynamicJobTemplate,
  FieldProblem,
  fieldProblems,
  JsonObject,
  Notifier,
  problemsAt,
} from '../model';
import { usePolled } from '../usePolled';
import { ObjectSchema, SchemaForm } from './SchemaForm';

const STEPS = ['Template', 'Parameters', 'Schedule', 'Notifications', 'Review'];
const NOTIFIER_KINDS = ['onFailure', 'onSuccess', 'onMissedRun'] as const;
type NotifierKind = (typeof NOTIFIER_KINDS)[number];
const NOTIFIER_WORDS: Record<NotifierKind, string> = {
  onFailure: 'After a failed or timed-out run',
  onSuccess: 'After a successful run',
  onMissedRun: 'After a missed run',
};

export interface Draft {
  name: string;
  namespace: string;
  template: string;
  parameters: JsonObject;
  schedule: string;
  timeZone: string;
  notifiers: Partial<Record<NotifierKind, Notifier>>;
}

export function draftBody(draft: Draft): DynamicJob {
  const notifications = Object.fromEntries(
    NOTIFIER_KINDS.filter(kind => draft.notifiers[kind]?.template).map(kind => [
      kind,
      [
        {
          template: draft.notifiers[kind]!.template,
          parameters: draft.notifiers[kind]!.parameters ?? {},
        },
      ],
    ])
  );
  return {
    apiVersion: API_VERSION,
    kind: 'DynamicJob',
    metadata: { name: draft.name.trim(), namespace: draft.namespace.trim() || 'default' },
    spec: {
      template: draft.template,
      parameters: draft.parameters,
      schedule: draft.schedule.trim(),
      ...(draft.timeZone.trim() ? { timeZone: draft.timeZone.trim() } : {}),
      ...(Object.keys(notifications).length ? { notifications } : {}),
    },
  };
}

/** The wizard step that holds `field`. */
export function stepOf(field: string): number {
  if (field.startsWith('spec.parameters')) return 1;
  if (field.startsWith('spec.schedule') || field.startsWith('spec.timeZone')) return 2;
  if (field.startsWith('spec.notifications')) return 3;
  if (field.startsWith('metadata') || field.startsWith('spec.template')) return 0;
  return 4;
}

function FieldMessage({ problems, field }: { problems: FieldProblem[]; field: string }) {
  const here = problems.filter(p => p.field === field);
  if (!here.length) return null;
  return (
    <Alert severity="error" data-problem-at={field} sx={{ mt: 1 }}>
      {here.map(p => p.message).join('; ')}
    </Alert>
  );
}

function TemplateStep(props: {
  draft: Draft;
  set: (d: Partial<Draft>) => void;
  templates: DynamicJobTemplate[];
  problems: FieldProblem[];
}) {
  const { draft, set, problems } = props;
  const message = (field: string) =>
    problemsAt(problems, field)
      .map(p => p.message)
      .join('; ');
  return (
    <Box sx={{ display: 'flex', flexDirection: 'column', gap: 2 }}>
      <TextField
        id="dj-new-name"
        label="Name (required)"
        size="small"
        value={draft.name}
        error={!!message('metadata.name')}
        helperText={
          message('metadata.name') || 'Lowercase letters, digits and -, at most 52 characters'
        }
        onChange={e => set({ name: e.target.value })}
      />
      <TextField
        id="dj-new-namespace"
        label="Namespace"
        size="small"
        value={draft.namespace}
        onChange={e => set({ namespace: e.target.value })}
      />
      <Typography id="dj-template-label" component="h2" variant="h6">
        Template
      </Typography>
      <RadioGroup
        aria-labelledby="dj-template-label"
        value={draft.template}
        onChange={e => set({ template: e.target.value, parameters: {} })}
      >
        {props.templates.map(t => (
          <FormControlLabel
            key={t.metadata.name}
            value={t.metadata.name}
            control={<Radio />}
            label={
              <span>
                <strong>{t.metadata.name}</strong> — {t.spec.description}
              </span>
            }
          />
        ))}
      </RadioGroup>
      <FieldMessage problems={problems} field="spec.template" />
    </Box>
  );
}

function ScheduleStep(props: {
  draft: Draft;
  set: (d: Partial<Draft>) => void;
  problems: FieldProblem[];
}) {
  const { draft, set, problems } = props;
  let words = '';
  let runs: Date[] = [];
  let local = '';
  try {
    words = describeSchedule(draft.schedule, draft.timeZone);
    runs = nextRuns(draft.schedule, draft.timeZone, new Date());
  } catch (error) {
    local = String((error as Error).message ?? error);
  }
  const server = (field: string) =>
    problemsAt(problems, field)
      .map(p => p.message)
      .join('; ');
  const zones = React.useMemo(() => {
    const intl = Intl as unknown as { supportedValuesOf?: (key: string) => string[] };
    return intl.supportedValuesOf ? intl.supportedValuesOf('timeZone') : [];
  }, []);
  return (
    <Box sx={{ display: 'flex', flexDirection: 'column', gap: 2 }}>
      <TextField
        select
        id="dj-new-preset"
        label="Preset"
        size="small"
        value={PRESETS.some(p => p.schedule === draft.schedule) ? draft.schedule : ''}
        onChange={e => set({ schedule: e.target.value })}
      >
        <MenuItem value="">Custom</MenuItem>
        {PRESETS.map(p => (
          <MenuItem key={p.schedule} value={p.schedule}>
            {p.label} ({p.schedule})
          </MenuItem>
        ))}
      </TextField>
      <TextField
        id="dj-new-schedule"
        label="Cron schedule (required)"
        size="small"
        value={draft.schedule}
        error={!!server('spec.schedule') || (!!draft.schedule && !!local)}
        helperText={
          server('spec.schedule') ||
          (draft.schedule && local) ||
          'minute hour day month weekday, or @daily'
        }
        onChange={e => set({ schedule: e.target.value })}
      />
      <TextField
        id="dj-new-timezone"
        label="Time zone"
        size="small"
        value={draft.timeZone}
        error={!!server('spec.timeZone')}
        helperText={server('spec.timeZone') || 'IANA name, e.g. Europe/Berlin; UTC when empty'}
        onChange={e => set({ timeZone: e.target.value })}
        inputProps={{ list: 'dj-time-zones' }}
      />
      <datalist id="dj-time-zones">
        {zones.map(zone => (
          <option key={zone} value={zone} />
        ))}
      </datalist>
      {words && (
        <Box aria-live="polite">
          <Typography>
            <strong>In words (approximate):</strong> {words}
          </Typography>
          <Typography component="h3" variant="subtitle1" sx={{ mt: 1 }}>
            Next five runs (approximate, computed in your browser; the operator's are in the job's
            status)
          </Typography>
          <ol data-testid="approximate-next-runs">
            {runs.map(at => (
              <li key={at.toISOString()}>
                <time dateTime={at.toISOString()}>
                  {at.toISOString().replace('T', ' ').slice(0, 16)} UTC
                </time>
              </li>
            ))}
          </ol>
        </Box>
      )}
    </Box>
  );
}

function NotificationsStep(props: {
  draft: Draft;
  set: (d: Partial<Draft>) => void;
  templates: DynamicJobTemplate[];
  problems: FieldProblem[];
}) {
  const { draft, set, templates, problems } = props;
  const setNotifier = (kind: NotifierKind, notifier: Notifier | undefined) => {
    const notifiers = { ...draft.notifiers };
    if (notifier) notifiers[kind] = notifier;
    else delete notifiers[kind];
    set({ notifiers });
  };
  return (
    <Box sx={{ display: 'flex', flexDirection: 'column', gap: 3 }}>
      <Typography>Optional: a catalogue template that tells people, run after the run.</Typography>
      {NOTIFIER_KINDS.map(kind => {
        const notifier = draft.notifiers[kind];
        const field = `spec.notifications.${kind}[0]`;
        const template = templates.find(t => t.metadata.name === notifier?.template);
        return (
          <Box key={kind} sx={{ display: 'flex', flexDirection: 'column', gap: 1 }}>
            <TextField
              select
              id={`dj-new-${kind}`}
              label={NOTIFIER_WORDS[kind]}
              size="small"
              value={notifier?.template ?? ''}
              onChange={e =>
                setNotifier(
                  kind,
                  e.target.value ? { template: e.target.value, parameters: {} } : undefined
                )
              }
            >
              <MenuItem value="">Nobody is told</MenuItem>
              {templates.map(t => (
                <MenuItem key={t.metadata.name} value={t.metadata.name}>
                  {t.metadata.name}
                </MenuItem>
              ))}
            </TextField>
            {template && (
              <SchemaForm
                key={template.metadata.name}
                idPrefix={`dj-new-${kind}-param`}
                schema={(template.spec.parametersSchema ?? {}) as ObjectSchema}
                value={notifier?.parameters ?? {}}
                field={`${field}.parameters`}
                problems={problems}
                onChange={parameters =>
                  setNotifier(kind, { template: template.metadata.name, parameters })
                }
              />
            )}
            <FieldMessage problems={problems} field={`${field}.template`} />
            <FieldMessage problems={problems} field={`${field}.parameters`} />
            <FieldMessage problems={problems} field={field} />
          </Box>
        );
      })}
    </Box>
  );
}

export function CreateWizard() {
  const navigate = useNavigate();
  const templates = usePolled(() => listTemplates(), [], 60_000);
  const [step, setStep] = React.useState(0);
  const [draft, setDraft] = React.useState<Draft>({
    name: '',
    namespace: 'default',
    template: '',
    parameters: {},
    schedule: '0 3 * * *',
    timeZone: 'UTC',
    notifiers: {},
  });
  const [invalid, setInvalid] = React.useState<string[]>([]);
  const [problems, setProblems] = React.useState<FieldProblem[]>([]);
  const [checked, setChecked] = React.useState(false);
  const [busy, setBusy] = React.useState(false);
  const set = (change: Partial<Draft>) => {
    setDraft(d => ({ ...d, ...change }));
    setChecked(false);
  };
  const all = templates.data ?? [];
  const template = all.find(t => t.metadata.name === draft.template);
  const body = draftBody(draft);

  const submit = async (dryRun: boolean) => {
    setBusy(true);
    try {
      const created = await createJob(body, dryRun);
      setProblems([]);
      if (dryRun) setChecked(true);
      else navigate(jobHref(created.metadata.namespace!, created.metadata.name));
    } catch (error) {
      const found = fieldProblems(asApiError(error).message);
      setProblems(found);
      setStep(Math.min(...found.map(p => stepOf(p.field))));
    } finally {
      setBusy(false);
    }
  };

  const canNext =
    step === 0 ? !!draft.name.trim() && !!draft.template : step === 1 ? !invalid.length : true;
  const unplaced = problems.filter(p => stepOf(p.field) === 4);
  return (
    <Box component="div" sx={{ p: { xs: 1, sm: 2 }, maxWidth: 900 }}>
      <Typography variant="h1" sx={{ fontSize: '1.5rem', mb: 2 }}>
        Create a DynamicJob
      </Typography>
      <Box sx={{ display: { xs: 'none', sm: 'block' }, mb: 2 }}>
        <Stepper activeStep={step} aria-label="Steps">
          {STEPS.map(label => (
            <Step key={label}>
              <StepLabel>{label}</StepLabel>
            </Step>
          ))}
        </Stepper>
      </Box>
      <Paper
        component="form"
        aria-label={`Step ${step + 1} of ${STEPS.length}: ${STEPS[step]}`}
        sx={{ p: 2 }}
        onSubmit={e => e.preventDefault()}
      >
        <Typography component="h2" variant="h6" sx={{ mb: 2 }}>
          Step {step + 1} of {STEPS.length}: {STEPS[step]}
        </Typography>
        {templates.error && <Alert severity="error">{templates.error}</Alert>}
        {problems.length > 0 && (
          <Alert severity="error" role="alert" sx={{ mb: 2 }}>
            The cluster refused this DynamicJob; the messages are beside their fields.
          </Alert>
        )}
        {step === 0 && <TemplateStep draft={draft} set={set} templates={all} problems={problems} />}
        {step === 1 && template && (
          <>
            <Typography sx={{ mb: 2 }}>{template.spec.description}</Typography>
            <SchemaForm
              key={template.metadata.name}
              idPrefix="dj-new-param"
              schema={(template.spec.parametersSchema ?? {}) as ObjectSchema}
              value={draft.parameters}
              problems={problems}
              onChange={(parameters, bad) => {
                set({ parameters });
                setInvalid(bad);
              }}
            />
            <FieldMessage problems={problems} field="spec.parameters" />
          </>
        )}
        {step === 2 && <ScheduleStep draft={draft} set={set} problems={problems} />}
        {step === 3 && (
          <NotificationsStep draft={draft} set={set} templates={all} problems={problems} />
        )}
        {step === 4 && (
          <>
            <Box
              component="pre"
              tabIndex={0}
              aria-label="The DynamicJob as YAML"
              sx={{ overflowX: 'auto', fontSize: '0.8rem', p: 1, bgcolor: 'action.hover' }}
            >
              {dump(body, { noRefs: true })}
            </Box>
            {unplaced.map((p, i) => (
              <Alert key={i} severity="error" data-problem-at={p.field} sx={{ mt: 1 }}>
                {p.field ? `${p.field}: ${p.message}` : p.message}
              </Alert>
            ))}
            {checked && (
              <Alert severity="success" sx={{ mt: 1 }}>
                The cluster accepts it (server-side dry run, the webhook included).
              </Alert>
            )}
          </>
        )}
        <Box sx={{ display: 'flex', flexWrap: 'wrap', gap: 1, mt: 3 }}>
          <Button disabled={step === 0} onClick={() => setStep(step - 1)}>
            Back
          </Button>
          {step < STEPS.length - 1 && (
            <Button variant="contained" disabled={!canNext} onClick={() => setStep(step + 1)}>
              Next
            </Button>
          )}
          {step === STEPS.length - 1 && (
            <>
              <Button variant="outlined" disabled={busy} onClick={() => submit(true)}>
                Check (dry run)
              </Button>
              <Button variant="contained" disabled={busy || !checked} onClick={() => submit(false)}>
                Create
              </Button>
            </>
          )}
        </Box>
      </Paper>
    </Box>
  );
}
