import {
  Alert,
  Box,
  Collapse,
  IconButton,
  Paper,
  Table,
  TableBody,
  TableCell,
  TableContainer,
  TableHead,
  TableRow,
  Typography,
} from '@mui/material';
import React from 'react';
import { getJob, getTemplate, jobEvents } from '../api';
import { duration, DynamicJob, Run, suspendReason } from '../model';
import { usePolled } from '../usePolled';
import { Actions } from './Actions';
import { ReadyChip, ResultChip, Time } from './Bits';

const VISUALLY_HIDDEN: React.CSSProperties = {
  position: 'absolute',
  width: 1,
  height: 1,
  overflow: 'hidden',
  clip: 'rect(0 0 0 0)',
  whiteSpace: 'nowrap',
};

function Section(props: { title: string; children: React.ReactNode }) {
  const id = `dj-section-${props.title.toLowerCase().replace(/\W+/g, '-')}`;
  return (
    <Box component="section" aria-labelledby={id} sx={{ mb: 3 }}>
      <Typography id={id} variant="h2" sx={{ fontSize: '1.2rem', mb: 1 }}>
        {props.title}
      </Typography>
      {props.children}
    </Box>
  );
}

function SimpleTable(props: {
  label: string;
  head: string[];
  rows: React.ReactNode[][];
  empty: string;
}) {
  return (
    <TableContainer
      component={Paper}
      sx={{ overflowX: 'auto' }}
      tabIndex={0}
      aria-label={props.label}
    >
      <Table size="small" aria-label={props.label}>
        <TableHead>
          <TableRow>
            {props.head.map(title => (
              <TableCell key={title} component="th" scope="col">
                {title}
              </TableCell>
            ))}
          </TableRow>
        </TableHead>
        <TableBody>
          {props.rows.map((row, i) => (
            <TableRow key={i}>
              {row.map((cell, j) => (
                <TableCell key={j}>{cell}</TableCell>
              ))}
            </TableRow>
          ))}
          {!props.rows.length && (
            <TableRow>
              <TableCell colSpan={props.head.length}>{props.empty}</TableCell>
            </TableRow>
          )}
        </TableBody>
      </Table>
    </TableContainer>
  );
}

function RunRow({ run }: { run: Run }) {
  const [open, setOpen] = React.useState(false);
  const attempts = run.attemptHistory ?? [];
  return (
    <>
      <TableRow data-run={run.id}>
        <TableCell>
          <IconButton
            size="small"
            aria-expanded={open}
            aria-label={`${open ? 'Hide' : 'Show'} the attempts of run ${run.id}`}
            onClick={() => setOpen(!open)}
          >
            {open ? '▾' : '▸'}
          </IconButton>
        </TableCell>
        <TableCell>
          <Time at={run.startedAt} />
        </TableCell>
        <TableCell>{run.trigger ?? 'Schedule'}</TableCell>
        <TableCell>
          <ResultChip result={run.result} />
        </TableCell>
        <TableCell>{run.attempts ?? ''}</TableCell>
        <TableCell>{duration(run)}</TableCell>
        <TableCell>
          <code>
            {run.outputs && Object.keys(run.outputs).length ? JSON.stringify(run.outputs) : ''}
          </code>
        </TableCell>
        <TableCell>{run.message}</TableCell>
      </TableRow>
      <TableRow>
        <TableCell colSpan={8} sx={{ py: 0, borderBottom: open ? undefined : 'none' }}>
          <Collapse in={open} unmountOnExit>
            <Box sx={{ my: 1 }}>
              <Typography variant="body2" sx={{ mb: 1 }}>
                Run <code>{run.id}</code>
                {run.parameterOverrides &&
                  ` with overrides ${JSON.stringify(run.parameterOverrides)}`}
              </Typography>
              <SimpleTable
                label={`Attempts of run ${run.id}`}
                head={['Attempt', 'Started', 'Finished', 'Result', 'Message']}
                empty="No attempt recorded."
                rows={attempts.map(a => [
                  a.attempt,
                  <Time at={a.startedAt} />,
                  <Time at={a.finishedAt} />,
                  <ResultChip result={a.result} />,
                  a.message,
                ])}
              />
            </Box>
          </Collapse>
        </TableCell>
      </TableRow>
    </>
  );
}

function RecentRuns({ job }: { job: DynamicJob }) {
  const runs = job.status?.recentRuns ?? [];
  const head = ['', 'Started', 'Trigger', 'Result', 'Attempts', 'Duration', 'Outputs', 'Message'];
  return (
    <TableContainer
      component={Paper}
      sx={{ overflowX: 'auto' }}
      tabIndex={0}
      aria-label="Recent runs"
    >
      <Table size="small" aria-label="Recent runs">
        <TableHead>
          <TableRow>
            {head.map((title, i) => (
              <TableCell key={i} component="th" scope="col">
                {title || <span style={VISUALLY_HIDDEN}>Open a run's attempts</span>}
              </TableCell>
            ))}
          </TableRow>
        </TableHead>
        <TableBody>
          {runs.map(run => (
            <RunRow key={run.id} run={run} />
          ))}
          {!runs.length && (
            <TableRow>
              <TableCell colSpan={head.length}>No run recorded yet.</TableCell>
            </TableRow>
          )}
        </TableBody>
      </Table>
    </TableContainer>
  );
}

/** A JSON Schema of the template's, under its heading, scrollable and reachable by keyboard. */
function SchemaBlock({ title, label, schema }: { title: string; label: string; schema: unknown }) {
  return (
    <>
      <Typography variant="h3" sx={{ fontSize: '1rem', my: 1 }}>
        {title}
      </Typography>
      <Box
        component="pre"
        tabIndex={0}
        aria-label={label}
        sx={{ overflowX: 'auto', fontSize: '0.8rem', p: 1, bgcolor: 'action.hover' }}
      >
        {JSON.stringify(schema, null, 2)}
      </Box>
    </>
  );
}

function TemplateSection({ name }: { name: string }) {
  const template = usePolled(() => getTemplate(name), [name], 60_000);
  return (
    <Section title={`Template: ${name}`}>
      {template.error && <Alert severity="warning">{template.error}</Alert>}
      {template.data && (
        <>
          <Typography variant="body1" sx={{ mb: 1 }}>
            {template.data.spec.description}
          </Typography>
          <SchemaBlock
            title="Parameter schema"
            label="Parameter schema (JSON)"
            schema={template.data.spec.parametersSchema ?? {}}
          />
          {template.data.spec.outputsSchema && (
            <SchemaBlock
              title="Outputs schema (what each run reports in its outputs)"
              label="Outputs schema (JSON)"
              schema={template.data.spec.outputsSchema}
            />
          )}
        </>
      )}
    </Section>
  );
}

export function DetailsView({ namespace, name }: { namespace: string; name: string }) {
  const job = usePolled(() => getJob(namespace, name), [namespace, name]);
  const events = usePolled(() => jobEvents(namespace, name), [namespace, name], 5000);
  const data = job.data;
  return (
    <Box component="div" sx={{ p: { xs: 1, sm: 2 } }}>
      <Box sx={{ display: 'flex', flexWrap: 'wrap', alignItems: 'center', gap: 1, mb: 2 }}>
        <Typography variant="h1" sx={{ fontSize: '1.5rem', flexGrow: 1, wordBreak: 'break-all' }}>
          DynamicJob {namespace}/{name}
        </Typography>
        {data && <Actions job={data} onChanged={job.reload} />}
      </Box>
      {job.error && <Alert severity="error">{job.error}</Alert>}
      {data && (
        <>
          <Section title="Summary">
            <SimpleTable
              label="Summary"
              head={['Template', 'Schedule', 'Suspended', 'Last result']}
              empty=""
              rows={[
                [
                  data.spec.template,
                  `${data.status?.schedule?.description ?? data.spec.schedule}`,
                  data.spec.suspend
                    ? `Yes${suspendReason(data) ? `: ${suspendReason(data)}` : ''}`
                    : 'No',
                  <ResultChip result={data.status?.lastRun?.result} />,
                ],
              ]}
            />
          </Section>
          <Section title="Conditions">
            <SimpleTable
              label="Conditions"
              head={['Type', 'Status', 'Reason', 'Message', 'Since']}
              empty="No conditions yet: the operator has not reconciled this job."
              rows={(data.status?.conditions ?? []).map(c => [
                c.type,
                <ReadyChip status={c.status} type={c.type} />,
                c.reason,
                c.message,
                <Time at={c.lastTransitionTime} />,
              ])}
            />
          </Section>
          <Section title="Next runs">
            <ol aria-label="Next runs" data-testid="next-runs">
              {(data.status?.schedule?.nextRuns ?? []).map(at => (
                <li key={at}>
                  <Time at={at} />
                </li>
              ))}
            </ol>
          </Section>
          <Section title="Recent runs">
            <RecentRuns job={data} />
          </Section>
          <Section title="Events">
            <SimpleTable
              label="Events"
              head={['Type', 'Reason', 'Message', 'Count', 'Last seen']}
              empty="No events."
              rows={(events.data ?? []).map(e => [
                e.type,
                e.reason,
                e.message,
                e.count ?? 1,
                <Time at={e.lastTimestamp ?? e.eventTime} />,
              ])}
            />
          </Section>
          <TemplateSection name={data.spec.template} />
        </>
      )}
    </Box>
  );
}
