import { createContext, useCallback, useContext, useEffect, useState } from 'react';
import type { WorkbenchApi } from '../../../electron/contract/api.js';
import type { ChannelName, RequestOf, ResponseOf } from '../../../electron/contract/channels.js';
import { WorkbenchError } from '../../../electron/contract/errors.js';

const ApiContext = createContext<WorkbenchApi | null>(null);

/** Provides the window's API to every component below. */
export const ApiProvider = ApiContext.Provider;

/** The window's API; components never pick a transport themselves. */
export function useApi(): WorkbenchApi {
  const api = useContext(ApiContext);
  if (!api) throw new Error('useApi used outside ApiProvider');
  return api;
}

/** State of one request made by a component. */
export type RequestState<T> =
  { status: 'loading' } | { status: 'ok'; value: T } | { status: 'error'; error: WorkbenchError };

/** Runs a request when the component mounts (and when `request` changes); `reload` runs it again. */
export function useRequest<C extends ChannelName>(
  channel: C,
  request: RequestOf<C>,
): [RequestState<ResponseOf<C>>, () => void] {
  const api = useApi();
  const [state, setState] = useState<RequestState<ResponseOf<C>>>({ status: 'loading' });
  const [generation, setGeneration] = useState(0);
  const key = JSON.stringify(request);
  useEffect(() => {
    let live = true;
    api.invoke(channel, JSON.parse(key) as RequestOf<C>).then(
      (value) => live && setState({ status: 'ok', value }),
      (err: unknown) =>
        live &&
        setState({
          status: 'error',
          error: err instanceof WorkbenchError ? err : new WorkbenchError({ code: 'internal', message: String(err) }),
        }),
    );
    return () => {
      live = false;
    };
  }, [api, channel, key, generation]);
  const reload = useCallback(() => setGeneration((g) => g + 1), []);
  return [state, reload];
}
