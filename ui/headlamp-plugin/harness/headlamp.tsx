/**
 * Headlamp's frontend, for the browser tests (tests/ui): the compiled frontend that
 * @kinvolk/headlamp-plugin publishes in lib/ (Sidebar, RouteSwitcher, the plugin loader and
 * registry, the redux store, themes, i18n, the cluster chooser), used unmodified and put
 * together here as Headlamp's own App, AppContainer and Layout put them together. Those
 * three files, and TopBar, are not in the published lib/, so this file is their stand-in:
 * providers, a router, a top bar holding Headlamp's ClusterChooser, Headlamp's Sidebar, and
 * Headlamp's RouteSwitcher once Headlamp's loader (lib/plugin/Plugins) has fetched and run
 * the plugins that the backend lists at /plugins. The cluster list comes from the backend's
 * /config, as Headlamp's Layout fetches it. The backend is tests/ui/dashboard.py.
 */
import '@kinvolk/headlamp-plugin/lib/i18n/config';
// Sets window.pluginLib, what a plugin's bundle reads Headlamp's modules from.
import '@kinvolk/headlamp-plugin/lib/plugin';
import { PreviousRouteProvider } from '@kinvolk/headlamp-plugin/lib/components/App/RouteSwitcher';
import RouteSwitcher from '@kinvolk/headlamp-plugin/lib/components/App/RouteSwitcher';
import { useCurrentAppTheme } from '@kinvolk/headlamp-plugin/lib/components/App/themeSlice';
import ClusterChooser from '@kinvolk/headlamp-plugin/lib/components/cluster/ClusterChooser';
import ClusterChooserPopup from '@kinvolk/headlamp-plugin/lib/components/cluster/ClusterChooserPopup';
import Sidebar, {
  NavigationTabs,
  useSidebarInfo,
} from '@kinvolk/headlamp-plugin/lib/components/Sidebar';
import { setWhetherSidebarOpen } from '@kinvolk/headlamp-plugin/lib/components/Sidebar/sidebarSlice';
import { useCluster } from '@kinvolk/headlamp-plugin/lib/lib/k8s';
import { request } from '@kinvolk/headlamp-plugin/lib/lib/k8s/apiProxy';
import type { Cluster } from '@kinvolk/headlamp-plugin/lib/lib/k8s/cluster';
import { queryClient } from '@kinvolk/headlamp-plugin/lib/lib/queryClient';
import { setStore } from '@kinvolk/headlamp-plugin/lib/lib/router/createRouteURL';
import { createMuiTheme } from '@kinvolk/headlamp-plugin/lib/lib/themes';
import Plugins from '@kinvolk/headlamp-plugin/lib/plugin/Plugins';
import { setConfig } from '@kinvolk/headlamp-plugin/lib/redux/configSlice';
import { useTypedSelector } from '@kinvolk/headlamp-plugin/lib/redux/hooks';
import store from '@kinvolk/headlamp-plugin/lib/redux/stores/store';
import MenuIcon from '@mui/icons-material/Menu';
import AppBar from '@mui/material/AppBar';
import Box from '@mui/material/Box';
import CssBaseline from '@mui/material/CssBaseline';
import IconButton from '@mui/material/IconButton';
import { ThemeProvider } from '@mui/material/styles';
import Toolbar from '@mui/material/Toolbar';
import { QueryClientProvider } from '@tanstack/react-query';
import { SnackbarProvider } from 'notistack';
import React from 'react';
import { createRoot } from 'react-dom/client';
import { Provider, useDispatch } from 'react-redux';
import { BrowserRouter } from 'react-router-dom';

// Router.createRouteURL finds the plugins' routes in the store it is given, as Headlamp's
// App gives it.
setStore(store);

/** The backend's cluster list into the store, keyed by name, as Headlamp's Layout does. */
function useClustersFromBackend() {
  const dispatch = useDispatch();
  React.useEffect(() => {
    (request('/config', {}, false, false) as Promise<{ clusters: Cluster[] }>)
      .then(config => {
        const clusters = Object.fromEntries(config.clusters.map(c => [c.name, c]));
        dispatch(setConfig({ clusters }));
      })
      .catch(error => console.error('could not read /config', error));
  }, [dispatch]);
}

function TopBar() {
  const [anchor, setAnchor] = React.useState<HTMLElement | null>(null);
  // The current cluster, updated on each navigation, as Headlamp's TopBar has it.
  const cluster = useCluster();
  const sidebar = useSidebarInfo();
  const dispatch = useDispatch();
  return (
    <AppBar position="static" elevation={1} color="default" component="header">
      <Toolbar variant="dense">
        {/* On a narrow screen Headlamp's sidebar is a drawer that the top bar opens. */}
        {sidebar.isTemporary && (
          <IconButton
            aria-label="Show navigation"
            onClick={() => dispatch(setWhetherSidebarOpen(!sidebar.isOpen))}
          >
            <MenuIcon />
          </IconButton>
        )}
        {cluster && (
          <ClusterChooser
            cluster={cluster}
            clickHandler={event => setAnchor(event?.currentTarget ?? null)}
          />
        )}
        <ClusterChooserPopup anchor={anchor} onClose={() => setAnchor(null)} />
      </Toolbar>
    </AppBar>
  );
}

function Layout() {
  useClustersFromBackend();
  const pluginsLoaded = useTypedSelector(state => state.plugins.loaded);
  const clusters = useTypedSelector(state => state.config.clusters);
  return (
    <Box sx={{ display: 'flex', minHeight: '100vh' }}>
      <CssBaseline />
      <Sidebar />
      <Box sx={{ flexGrow: 1, minWidth: 0 }}>
        <TopBar />
        <Box component="main" id="main" sx={{ p: { xs: 0, sm: 2 } }}>
          <NavigationTabs />
          {/* The backend holds each cluster's credentials: no token to ask for. */}
          {pluginsLoaded && clusters && <RouteSwitcher requiresToken={() => false} />}
        </Box>
      </Box>
    </Box>
  );
}

function Themed(props: { children: React.ReactNode }) {
  const theme = createMuiTheme(useCurrentAppTheme());
  return <ThemeProvider theme={theme}>{props.children}</ThemeProvider>;
}

createRoot(document.getElementById('root')!).render(
  <Provider store={store}>
    <QueryClientProvider client={queryClient}>
      <Themed>
        <SnackbarProvider>
          <BrowserRouter>
            <PreviousRouteProvider>
              <Plugins />
              <Layout />
            </PreviousRouteProvider>
          </BrowserRouter>
        </SnackbarProvider>
      </Themed>
    </QueryClientProvider>
  </Provider>
);
