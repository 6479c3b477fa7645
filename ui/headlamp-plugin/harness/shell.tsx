/**
 * A stand-in for Headlamp's shell, for the browser tests only (tests/ui). Headlamp's App
 * and Layout are not published (`@kinvolk/headlamp-plugin/lib` ships neither) and its
 * backend cannot be built here, so this page provides what the plugin's bundle takes
 * from Headlamp at run time, `window.pluginLib`: React, ReactDOM, MUI and react-router
 * (the same packages, from this folder's node_modules), registerRoute and
 * registerSidebarEntry (kept and rendered as a sidebar and routes under /c/<cluster>/),
 * ApiProxy.request (fetch to /clusters/<cluster>/<path>, with Headlamp's error shape:
 * `StatusText - message`, `.status`) and Router.createRouteURL. Then it loads the built
 * plugin, dist/main.js, as Headlamp does: a script that reads pluginLib.
 */
import * as MuiMaterial from '@mui/material';
import { Box, createTheme, CssBaseline, ThemeProvider } from '@mui/material';
import React from 'react';
import * as ReactDOM from 'react-dom';
import * as ReactDOMClient from 'react-dom/client';
import * as ReactJSX from 'react/jsx-runtime';
import * as ReactRouter from 'react-router-dom';

interface RouteSpec {
  path: string;
  name: string;
  exact?: boolean;
  component: () => React.ReactElement;
}

interface SidebarEntry {
  name: string;
  label: string;
  url: string;
}

const routes: RouteSpec[] = [];
const sidebar: SidebarEntry[] = [];

function cluster(): string {
  return window.location.pathname.match(/^\/c\/([^/]+)/)?.[1] ?? '';
}

async function request(path: string, params: RequestInit = {}): Promise<unknown> {
  const response = await fetch(`/clusters/${cluster()}${path}`, params);
  if (!response.ok) {
    let message = response.statusText;
    try {
      message += ` - ${(await response.json()).message}`;
    } catch {
      // no JSON body: the status text alone
    }
    const error = new Error(message) as Error & { status: number };
    error.status = response.status;
    throw error;
  }
  return response.json();
}

function createRouteURL(name: string, params: Record<string, string> = {}): string {
  const route = routes.find(r => r.name === name);
  if (!route) throw new Error(`no route named ${name}`);
  const path = route.path.replace(/:(\w+)/g, (_, key: string) => encodeURIComponent(params[key]));
  return `/c/${cluster()}${path}`;
}

(window as unknown as { pluginLib: unknown }).pluginLib = {
  React,
  ReactDOM: { ...ReactDOM, ...ReactDOMClient },
  ReactJSX,
  MuiMaterial,
  ReactRouter,
  registerRoute: (route: RouteSpec) => routes.push(route),
  registerSidebarEntry: (entry: SidebarEntry) => sidebar.push(entry),
  ApiProxy: { request },
  Router: { createRouteURL },
};

function Shell() {
  const { BrowserRouter, Link, Route, Switch } = ReactRouter;
  return (
    <BrowserRouter>
      <Box sx={{ display: 'flex', flexDirection: { xs: 'column', md: 'row' } }}>
        <Box
          component="nav"
          aria-label="Sidebar"
          sx={{ p: 1, minWidth: { md: 180 } }}
        >
          <Box component="ul" sx={{ listStyle: 'none', m: 0, p: 0 }}>
            {sidebar.map(entry => (
              <li key={entry.name}>
                <Link to={`/c/${cluster()}${entry.url}`}>{entry.label}</Link>
              </li>
            ))}
          </Box>
        </Box>
        <Box component="main" sx={{ flex: '1 1 0', minWidth: 0 }}>
          <Switch>
            {routes.map(route => (
              <Route
                key={route.name}
                path={`/c/:cluster${route.path}`}
                exact={route.exact}
                render={() => <route.component />}
              />
            ))}
          </Switch>
        </Box>
      </Box>
    </BrowserRouter>
  );
}

function loadPlugin(url: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const script = document.createElement('script');
    script.src = url;
    script.onload = () => resolve();
    script.onerror = () => reject(new Error(`could not load ${url}`));
    document.head.appendChild(script);
  });
}

loadPlugin('/plugins/dynamicjobs/main.js').then(() => {
  ReactDOMClient.createRoot(document.getElementById('root')!).render(
    <ThemeProvider theme={createTheme()}>
      <CssBaseline />
      <Shell />
    </ThemeProvider>
  );
});
