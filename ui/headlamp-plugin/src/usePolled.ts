import React from 'react';

export interface Polled<T> {
  data?: T;
  error?: string;
  reload: () => void;
}

/** `load()`'s answer, asked again every `everyMs` and on reload(), the newest one kept. */
export function usePolled<T>(load: () => Promise<T>, deps: unknown[], everyMs = 3000): Polled<T> {
  const [state, setState] = React.useState<{ data?: T; error?: string }>({});
  const [tick, setTick] = React.useState(0);
  // eslint-disable-next-line react-hooks/exhaustive-deps
  const loader = React.useCallback(load, deps);
  const shown = React.useRef(loader);
  React.useEffect(() => {
    let live = true;
    if (shown.current !== loader) {
      // What an earlier loader (another namespace, another job) found is not this one's.
      shown.current = loader;
      setState({});
    }
    let timer: ReturnType<typeof setTimeout> | undefined;
    const ask = () => {
      loader()
        .then(
          data => live && setState({ data }),
          (error: unknown) =>
            live &&
            setState(old => ({ data: old.data, error: String((error as Error)?.message ?? error) }))
        )
        .finally(() => {
          if (live) timer = setTimeout(ask, everyMs);
        });
    };
    ask();
    return () => {
      live = false;
      if (timer) clearTimeout(timer);
    };
  }, [loader, tick, everyMs]);
  return { ...state, reload: () => setTick(t => t + 1) };
}
