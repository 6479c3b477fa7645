import {
  Alert,
  Box,
  Button,
  Card,
  CardContent,
  MenuItem,
  Paper,
  Table,
  TableBody,
  TableCell,
  TableContainer,
  TableHead,
  TableRow,
  TextField,
  Typography,
  useMediaQuery,
} from '@mui/material';
import React from 'react';
import { allowed, listJobs } from '../api';
import { createHref, jobHref, JobLink, useNavigate } from '../headlamp';
import { DynamicJob, JobFilter, lastResult, matches, readiness, RESULTS, tagsOf } from '../model';
import { usePolled } from '../usePolled';
import { ReadyChip, ResultChip, Time } from './Bits';

function Choice(props: {
  label: string;
  value: string;
  options: string[];
  onChange: (value: string) => void;
}) {
  const id = `dj-filter-${props.label.toLowerCase().replace(/\W+/g, '-')}`;
  return (
    <TextField
      select
      size="small"
      id={id}
      label={props.label}
      value={props.value}
      onChange={e => props.onChange(e.target.value)}
      sx={{ minWidth: 150, flex: '1 1 150px' }}
    >
      <MenuItem value="">All</MenuItem>
      {props.options.map(option => (
        <MenuItem key={option} value={option}>
          {option}
        </MenuItem>
      ))}
    </TextField>
  );
}

const unique = (values: (string | undefined)[]) =>
  [...new Set(values.filter((v): v is string => !!v))].sort();

/** The narrow-screen list: one card per job with what the table's row holds. */
function JobCards({ jobs }: { jobs: DynamicJob[] }) {
  return (
    <Box component="ul" aria-label="DynamicJobs" sx={{ listStyle: 'none', m: 0, p: 0 }}>
      {jobs.map(job => (
        <Card
          component="li"
          key={`${job.metadata.namespace}/${job.metadata.name}`}
          data-job={job.metadata.name}
          sx={{ mb: 1 }}
        >
          <CardContent sx={{ display: 'flex', flexDirection: 'column', gap: 0.5 }}>
            <Box sx={{ display: 'flex', justifyContent: 'space-between', gap: 1 }}>
              <JobLink href={jobHref(job.metadata.namespace ?? '', job.metadata.name)}>
                {job.metadata.name}
              </JobLink>
              <ResultChip result={lastResult(job)} />
            </Box>
            <Typography variant="body2">
              {job.metadata.namespace} · {job.spec.template}
              {job.spec.suspend ? ' · suspended' : ''} · Ready <ReadyChip status={readiness(job)} />
            </Typography>
            <Typography variant="body2">
              {job.status?.schedule?.description ?? job.spec.schedule}
            </Typography>
            <Typography variant="body2">
              Last run <Time at={job.status?.lastRun?.startedAt} />
            </Typography>
            <Typography variant="body2" data-column="next-run">
              Next run <Time at={job.status?.schedule?.nextRuns?.[0]} />
            </Typography>
          </CardContent>
        </Card>
      ))}
    </Box>
  );
}

export function ListView() {
  const narrow = useMediaQuery('(max-width:600px)');
  const navigate = useNavigate();
  const [scope, setScope] = React.useState('');
  const listed = scope.trim();
  const jobs = usePolled(() => listJobs(listed || undefined), [listed]);
  const mayCreate = usePolled(
    () => allowed({ verb: 'create', namespace: listed || undefined }),
    [listed],
    60_000
  );
  const forbidden = !!jobs.error && /^Forbidden/.test(jobs.error);
  const [filter, setFilter] = React.useState<JobFilter>({});
  const set = (key: keyof JobFilter) => (value: string) => setFilter(f => ({ ...f, [key]: value }));
  const all = jobs.data ?? [];
  const shown = all.filter(job => matches(job, filter));

  return (
    <Box component="div" sx={{ p: { xs: 1, sm: 2 } }}>
      <Box
        data-permissions={mayCreate.data === undefined && !mayCreate.error ? 'asking' : 'answered'}
        sx={{ display: 'flex', flexWrap: 'wrap', alignItems: 'center', gap: 1, mb: 2 }}
      >
        <Typography variant="h1" sx={{ fontSize: '1.5rem', flexGrow: 1 }}>
          DynamicJobs
        </Typography>
        {mayCreate.data && (
          <Button variant="contained" onClick={() => navigate(createHref())}>
            Create
          </Button>
        )}
      </Box>
      <Box
        role="search"
        aria-label="Filter DynamicJobs"
        sx={{ display: 'flex', flexWrap: 'wrap', gap: 1, mb: 2 }}
      >
        <TextField
          size="small"
          id="dj-scope"
          label="List namespace"
          helperText="Empty: every namespace"
          value={scope}
          onChange={e => setScope(e.target.value)}
          sx={{ flex: '1 1 150px' }}
        />
        <TextField
          size="small"
          id="dj-search"
          label="Search by name"
          type="search"
          value={filter.search ?? ''}
          onChange={e => set('search')(e.target.value)}
          sx={{ flex: '2 1 200px' }}
        />
        <Choice
          label="Namespace"
          value={filter.namespace ?? ''}
          options={unique(all.map(j => j.metadata.namespace))}
          onChange={set('namespace')}
        />
        <Choice
          label="Tag"
          value={filter.tag ?? ''}
          options={unique(all.flatMap(tagsOf))}
          onChange={set('tag')}
        />
        <Choice
          label="Template"
          value={filter.template ?? ''}
          options={unique(all.map(j => j.spec.template))}
          onChange={set('template')}
        />
        <Choice
          label="Last result"
          value={filter.result ?? ''}
          options={[...RESULTS, 'None']}
          onChange={set('result')}
        />
      </Box>
      {forbidden && !listed && (
        <Alert severity="info" sx={{ mb: 2 }}>
          You may not list DynamicJobs in every namespace: enter yours under List namespace.
        </Alert>
      )}
      {jobs.error && !(forbidden && !listed) && <Alert severity="error">{jobs.error}</Alert>}
      {narrow && <JobCards jobs={shown} />}
      {narrow && jobs.data && !shown.length && (
        <Typography>
          {all.length ? 'No DynamicJob matches the filters.' : 'No DynamicJobs yet.'}
        </Typography>
      )}
      {!narrow && (
        <TableContainer
          component={Paper}
          sx={{ overflowX: 'auto' }}
          tabIndex={0}
          aria-label="DynamicJobs table"
        >
          <Table size="small" aria-label="DynamicJobs">
            <TableHead>
              <TableRow>
                {[
                  'Name',
                  'Namespace',
                  'Template',
                  'Schedule',
                  'Suspended',
                  'Ready',
                  'Last result',
                  'Last run',
                  'Next run',
                ].map(title => (
                  <TableCell key={title} component="th" scope="col">
                    {title}
                  </TableCell>
                ))}
              </TableRow>
            </TableHead>
            <TableBody>
              {shown.map(job => (
                <TableRow
                  key={`${job.metadata.namespace}/${job.metadata.name}`}
                  data-job={job.metadata.name}
                >
                  <TableCell component="th" scope="row">
                    <JobLink href={jobHref(job.metadata.namespace ?? '', job.metadata.name)}>
                      {job.metadata.name}
                    </JobLink>
                  </TableCell>
                  <TableCell>{job.metadata.namespace}</TableCell>
                  <TableCell>{job.spec.template}</TableCell>
                  <TableCell>{job.status?.schedule?.description ?? job.spec.schedule}</TableCell>
                  <TableCell>{job.spec.suspend ? 'Yes' : 'No'}</TableCell>
                  <TableCell>
                    <ReadyChip status={readiness(job)} />
                  </TableCell>
                  <TableCell>
                    <ResultChip result={lastResult(job)} />
                  </TableCell>
                  <TableCell>
                    <Time at={job.status?.lastRun?.startedAt} />
                  </TableCell>
                  <TableCell data-column="next-run">
                    <Time at={job.status?.schedule?.nextRuns?.[0]} />
                  </TableCell>
                </TableRow>
              ))}
              {jobs.data && !shown.length && (
                <TableRow>
                  <TableCell colSpan={9}>
                    {all.length ? 'No DynamicJob matches the filters.' : 'No DynamicJobs yet.'}
                  </TableCell>
                </TableRow>
              )}
            </TableBody>
          </Table>
        </TableContainer>
      )}
    </Box>
  );
}
