/**
 * The plugin's registration with Headlamp: a sidebar entry and three routes (list,
 * create, details). The views get Headlamp's API proxy (requests go to the current
 * cluster as the signed-in user) and its router through HostContext.
 */
import {
  ApiProxy,
  registerRoute,
  registerSidebarEntry,
  Router,
} from '@kinvolk/headlamp-plugin/lib';
import React from 'react';
import { Link as RouterLink, useHistory, useParams } from 'react-router-dom';
import { CreateWizard } from './components/CreateWizard';
import { DetailsView } from './components/DetailsView';
import { ListView } from './components/ListView';
import { Host, HostContext, RequestInit } from './host';

export const SIDEBAR = 'dynamicjobs';
export const ROUTES = {
  list: 'dynamicjobs',
  create: 'dynamicjob-create',
  details: 'dynamicjob',
};

function headlampRequest<T>(path: string, init: RequestInit = {}): Promise<T> {
  const headers: Record<string, string> = {};
  if (init.body !== undefined) headers['Content-Type'] = init.contentType ?? 'application/json';
  return ApiProxy.request(path, {
    method: init.method ?? 'GET',
    headers,
    ...(init.body !== undefined ? { body: JSON.stringify(init.body) } : {}),
  }) as Promise<T>;
}

function HeadlampLink(props: { href: string; children: React.ReactNode }) {
  return <RouterLink to={props.href}>{props.children}</RouterLink>;
}

function WithHost(props: { children: React.ReactNode }) {
  const history = useHistory();
  const host = React.useMemo<Host>(
    () => ({
      request: headlampRequest,
      listHref: () => Router.createRouteURL(ROUTES.list),
      createHref: () => Router.createRouteURL(ROUTES.create),
      jobHref: (namespace, name) => Router.createRouteURL(ROUTES.details, { namespace, name }),
      navigate: href => history.push(href),
      Link: HeadlampLink,
    }),
    [history]
  );
  return <HostContext.Provider value={host}>{props.children}</HostContext.Provider>;
}

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
  component: () => (
    <WithHost>
      <ListView />
    </WithHost>
  ),
});

registerRoute({
  path: '/dynamicjobs/new',
  sidebar: SIDEBAR,
  name: ROUTES.create,
  exact: true,
  component: () => (
    <WithHost>
      <CreateWizard />
    </WithHost>
  ),
});

registerRoute({
  path: '/dynamicjobs/:namespace/:name',
  sidebar: SIDEBAR,
  name: ROUTES.details,
  exact: true,
  component: () => (
    <WithHost>
      <Details />
    </WithHost>
  ),
});
