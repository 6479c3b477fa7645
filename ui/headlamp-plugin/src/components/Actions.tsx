/** The header buttons of a DynamicJob, each shown only when RBAC lets the user do it. */
import {
  Alert,
  Box,
  Button,
  Dialog,
  DialogActions,
  DialogContent,
  DialogContentText,
  DialogTitle,
  TextField,
} from '@mui/material';
import { dump, load } from 'js-yaml';
import React from 'react';
import { allowed, createJob, deleteJob, getTemplate, patchJob, whoAmI } from '../api';
import { asApiError, jobHref, listHref, useNavigate } from '../headlamp';
import {
  checkedReason,
  cloned,
  DynamicJob,
  FieldProblem,
  fieldProblems,
  Json,
  JsonObject,
  mergePatch,
  portable,
  resumePatch,
  runNowPatch,
  suspendPatch,
} from '../model';
import { usePolled } from '../usePolled';
import { ObjectSchema, SchemaForm } from './SchemaForm';

type Kind = 'run' | 'suspend' | 'resume' | 'clone' | 'export' | 'edit' | 'delete';

interface DialogProps {
  job: DynamicJob;
  close: (changed: boolean) => void;
}

function Problems({ problems }: { problems: FieldProblem[] }) {
  if (!problems.length) return null;
  return (
    <Alert severity="error" role="alert" sx={{ mt: 1 }}>
      {problems.map((p, i) => (
        <div key={i}>{p.field ? `${p.field}: ${p.message}` : p.message}</div>
      ))}
    </Alert>
  );
}

/** A dialog whose OK button runs `act`; a refusal is shown in it, field by field. */
function ActionDialog(props: {
  title: string;
  ok: string;
  danger?: boolean;
  disabled?: boolean;
  act: () => Promise<unknown>;
  close: (changed: boolean) => void;
  children: React.ReactNode;
}) {
  const [problems, setProblems] = React.useState<FieldProblem[]>([]);
  const [busy, setBusy] = React.useState(false);
  const titleId = `dj-dialog-${props.title.toLowerCase().replace(/\W+/g, '-')}`;
  const submit = async () => {
    setBusy(true);
    try {
      await props.act();
      props.close(true);
    } catch (error) {
      setProblems(fieldProblems(asApiError(error).message));
      setBusy(false);
    }
  };
  return (
    <Dialog
      open
      onClose={() => props.close(false)}
      aria-labelledby={titleId}
      fullWidth
      maxWidth="sm"
    >
      <DialogTitle id={titleId}>{props.title}</DialogTitle>
      <DialogContent>
        {props.children}
        <Problems problems={problems} />
      </DialogContent>
      <DialogActions>
        <Button onClick={() => props.close(false)}>Cancel</Button>
        <Button
          variant="contained"
          color={props.danger ? 'error' : 'primary'}
          disabled={busy || props.disabled}
          onClick={submit}
        >
          {props.ok}
        </Button>
      </DialogActions>
    </Dialog>
  );
}

function RunNowDialog({ job, close }: DialogProps) {
  const template = usePolled(() => getTemplate(job.spec.template), [], 60_000);
  const [values, setValues] = React.useState<JsonObject>(job.spec.parameters ?? {});
  const [invalid, setInvalid] = React.useState<string[]>([]);
  const overrides = Object.fromEntries(
    Object.entries(values).filter(
      ([key, value]) => JSON.stringify(value) !== JSON.stringify(job.spec.parameters?.[key])
    )
  );
  return (
    <ActionDialog
      title={`Run ${job.metadata.name} now`}
      ok="Run now"
      disabled={invalid.length > 0}
      close={close}
      act={() =>
        patchJob(job.metadata.namespace!, job.metadata.name, runNowPatch(overrides, new Date()))
      }
    >
      <DialogContentText sx={{ mb: 2 }}>
        One run starts now, even when the job is suspended. Parameters you change apply to this run
        only (dynamicjobs.io/run-parameters); the webhook checks them like the spec.
      </DialogContentText>
      {template.data && (
        <SchemaForm
          idPrefix="dj-run-param"
          schema={(template.data.spec.parametersSchema ?? {}) as ObjectSchema}
          value={values}
          onChange={(next, bad) => {
            setValues(next);
            setInvalid(bad);
          }}
        />
      )}
    </ActionDialog>
  );
}

function SuspendDialog({ job, close }: DialogProps) {
  const [text, setText] = React.useState('');
  const checked = checkedReason(text);
  return (
    <ActionDialog
      title={`Suspend ${job.metadata.name}`}
      ok="Suspend"
      disabled={!checked.reason}
      close={close}
      act={async () => {
        const by = await whoAmI();
        return patchJob(
          job.metadata.namespace!,
          job.metadata.name,
          suspendPatch(checked.reason!, by, new Date())
        );
      }}
    >
      <DialogContentText sx={{ mb: 2 }}>
        No scheduled run starts until it is resumed; a run in progress goes on.
      </DialogContentText>
      <TextField
        id="dj-suspend-reason"
        label="Reason (required)"
        fullWidth
        multiline
        value={text}
        error={!!text && !!checked.problem}
        helperText={text ? checked.problem : 'Why, e.g. orders-db migration until Friday'}
        onChange={e => setText(e.target.value)}
      />
    </ActionDialog>
  );
}

function ResumeDialog({ job, close }: DialogProps) {
  return (
    <ActionDialog
      title={`Resume ${job.metadata.name}`}
      ok="Resume"
      close={close}
      act={() => patchJob(job.metadata.namespace!, job.metadata.name, resumePatch())}
    >
      <DialogContentText>
        Scheduled runs start again; the suspension reason is removed.
      </DialogContentText>
    </ActionDialog>
  );
}

/** `dynamicjobs clone SRC NEW [-p ...] [--schedule] [--time-zone]`: the new job's name,
 * and optionally other parameters, schedule and time zone. */
function CloneDialog({ job, close }: DialogProps) {
  const navigate = useNavigate();
  const template = usePolled(() => getTemplate(job.spec.template), [], 60_000);
  const [name, setName] = React.useState(`${job.metadata.name}-copy`);
  const [schedule, setSchedule] = React.useState(job.spec.schedule);
  const [timeZone, setTimeZone] = React.useState(job.spec.timeZone ?? '');
  const [values, setValues] = React.useState<JsonObject>(job.spec.parameters ?? {});
  const [invalid, setInvalid] = React.useState<string[]>([]);
  return (
    <ActionDialog
      title={`Clone ${job.metadata.name}`}
      ok="Clone"
      disabled={!name.trim() || !schedule.trim() || invalid.length > 0}
      close={close}
      act={async () => {
        const body = cloned(job, name.trim(), {});
        body.spec.parameters = values;
        body.spec.schedule = schedule.trim();
        if (timeZone.trim()) body.spec.timeZone = timeZone.trim();
        else delete body.spec.timeZone;
        const created = await createJob(body, false);
        navigate(jobHref(created.metadata.namespace!, created.metadata.name));
      }}
    >
      <DialogContentText sx={{ mb: 2 }}>
        A new DynamicJob in {job.metadata.namespace} with this one's spec, labels and annotations;
        not its status, history or suspension reason.
      </DialogContentText>
      <Box sx={{ display: 'flex', flexDirection: 'column', gap: 2 }}>
        <TextField
          id="dj-clone-name"
          label="New name"
          value={name}
          onChange={e => setName(e.target.value)}
        />
        <TextField
          id="dj-clone-schedule"
          label="Schedule"
          value={schedule}
          onChange={e => setSchedule(e.target.value)}
        />
        <TextField
          id="dj-clone-timezone"
          label="Time zone"
          helperText="UTC when empty"
          value={timeZone}
          onChange={e => setTimeZone(e.target.value)}
        />
        {template.data && (
          <SchemaForm
            idPrefix="dj-clone-param"
            schema={(template.data.spec.parametersSchema ?? {}) as ObjectSchema}
            value={values}
            onChange={(next, bad) => {
              setValues(next);
              setInvalid(bad);
            }}
          />
        )}
      </Box>
    </ActionDialog>
  );
}

export function manifestYaml(job: DynamicJob): string {
  return dump(portable(job), { noRefs: true, lineWidth: 100 });
}

function ExportDialog({ job, close }: DialogProps) {
  const text = manifestYaml(job);
  const href = `data:application/yaml;charset=utf-8,${encodeURIComponent(text)}`;
  return (
    <Dialog
      open
      onClose={() => close(false)}
      aria-labelledby="dj-export-title"
      fullWidth
      maxWidth="md"
    >
      <DialogTitle id="dj-export-title">Export {job.metadata.name} as YAML</DialogTitle>
      <DialogContent>
        <DialogContentText sx={{ mb: 1 }}>
          The clean manifest, as `dynamicjobs export` writes it: no status, bookkeeping or pending
          run request.
        </DialogContentText>
        <Box
          component="pre"
          tabIndex={0}
          aria-label="Manifest"
          sx={{ overflowX: 'auto', fontSize: '0.8rem' }}
        >
          {text}
        </Box>
      </DialogContent>
      <DialogActions>
        <Button href={href} download={`${job.metadata.name}.yaml`}>
          Download
        </Button>
        <Button variant="contained" onClick={() => close(false)}>
          Close
        </Button>
      </DialogActions>
    </Dialog>
  );
}

function EditDialog({ job, close }: DialogProps) {
  const [text, setText] = React.useState(() => manifestYaml(job));
  return (
    <ActionDialog
      title={`Edit ${job.metadata.name}`}
      ok="Save"
      close={close}
      act={async () => {
        const before = portable(job) as unknown as Json;
        const after = load(text) as Json;
        const patch = mergePatch(before, after);
        if (patch === undefined) return;
        return patchJob(job.metadata.namespace!, job.metadata.name, patch as JsonObject);
      }}
    >
      <DialogContentText sx={{ mb: 2 }}>
        Saved as a merge patch of what you changed, as kubectl edit does.
      </DialogContentText>
      <TextField
        id="dj-edit-yaml"
        label="Manifest (YAML)"
        fullWidth
        multiline
        minRows={12}
        value={text}
        onChange={e => setText(e.target.value)}
        inputProps={{ style: { fontFamily: 'monospace', fontSize: '0.85rem' } }}
      />
    </ActionDialog>
  );
}

function DeleteDialog({ job, close }: DialogProps) {
  const navigate = useNavigate();
  const full = `${job.metadata.namespace}/${job.metadata.name}`;
  return (
    <ActionDialog
      title={`Delete ${job.metadata.name}`}
      ok={`Delete ${job.metadata.name}`}
      danger
      close={close}
      act={async () => {
        await deleteJob(job.metadata.namespace!, job.metadata.name);
        navigate(listHref());
      }}
    >
      <DialogContentText>
        Delete the DynamicJob {full}? Its CronJob, Jobs and run history go with it.
      </DialogContentText>
    </ActionDialog>
  );
}

const DIALOGS: Record<Kind, (props: DialogProps) => React.ReactElement> = {
  run: RunNowDialog,
  suspend: SuspendDialog,
  resume: ResumeDialog,
  clone: CloneDialog,
  export: ExportDialog,
  edit: EditDialog,
  delete: DeleteDialog,
};

/** What RBAC allows the user on this job: patch (run, suspend, resume, edit), delete, and
 * create (clone). */
function usePermissions(job: DynamicJob) {
  const { namespace, name } = job.metadata;
  return usePolled(
    async () => {
      const [patch, remove, create] = await Promise.all(
        ['patch', 'delete', 'create'].map(verb =>
          allowed({ verb, namespace, name: verb === 'create' ? undefined : name })
        )
      );
      return { patch, remove, create };
    },
    [namespace, name],
    60_000
  );
}

export function Actions({ job, onChanged }: { job: DynamicJob; onChanged: () => void }) {
  const may = usePermissions(job).data;
  const [open, setOpen] = React.useState<Kind | null>(null);
  const buttons: [Kind, string, boolean][] = [
    ['run', 'Run now', !!may?.patch],
    job.spec.suspend ? ['resume', 'Resume', !!may?.patch] : ['suspend', 'Suspend', !!may?.patch],
    ['clone', 'Clone', !!may?.create],
    ['export', 'Export YAML', true],
    ['edit', 'Edit', !!may?.patch],
    ['delete', 'Delete', !!may?.remove],
  ];
  const Open = open ? DIALOGS[open] : null;
  return (
    <Box
      role="toolbar"
      aria-label="Actions"
      data-permissions={may ? 'answered' : 'asking'}
      sx={{ display: 'flex', flexWrap: 'wrap', gap: 1 }}
    >
      {buttons
        .filter(([, , shown]) => shown)
        .map(([kind, label]) => (
          <Button
            key={kind}
            size="small"
            variant="outlined"
            color={kind === 'delete' ? 'error' : 'primary'}
            onClick={() => setOpen(kind)}
          >
            {label}
          </Button>
        ))}
      {Open && (
        <Open
          job={job}
          close={changed => {
            setOpen(null);
            if (changed) onChanged();
          }}
        />
      )}
    </Box>
  );
}
