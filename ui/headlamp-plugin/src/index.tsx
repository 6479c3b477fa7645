/**
 * The plugin's registration with Headlamp: a sidebar entry and three routes (list,
 * create, details), under the current cluster (`/c/<cluster>/dynamicjobs...`).
 */
import { registerRoute, registerSidebarEntry } from '@kinvolk/headlamp-plugin/lib';
import React from 'react';
import { useParams } from 'react-router-dom';
import { CreateWizard } from './components/CreateWizard';
import { DetailsView } from './components/DetailsView';
import { ListView } from './components/ListView';
import { ROUTES } from './headlamp';

export const SIDEBAR = 'dynamicjobs';

function Details() {
  const { namespace, name } = useParams<{ namespace: string; name: string }>();
  return <DetailsView namespace={namespace} name={name} />;
}

registerSidebarEntry({
  parent: null,
  name: SIDEBAR,
  label: 'DynamicJobs',
  url: '/dynamicjobs',
  icon: 'mdi:calendar-clock',
});

registerRoute({
  path: '/dynamicjobs',
  sidebar: SIDEBAR,
  name: ROUTES.list,
  exact: true,
  component: () => <ListView />,
});

registerRoute({
  path: '/dynamicjobs/new',
  sidebar: SIDEBAR,
  name: ROUTES.create,
  exact: true,
  component: () => <CreateWizard />,
});

registerRoute({
  path: '/dynamicjobs/:namespace/:name',
  sidebar: SIDEBAR,
  name: ROUTES.details,
  exact: true,
  component: () => <Details />,
});
