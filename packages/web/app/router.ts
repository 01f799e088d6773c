/** A tiny history router: the UI has two pages, so a library would be more than it needs. */
import { useEffect, useState } from 'preact/hooks';

/** The page a URL names. */
export type Route = { page: 'projects' } | { page: 'project'; project: string };

/** Reads a path: `/` and `/ui` list Projects, `/ui/projects/<name>` shows one. */
export function parseRoute(pathname: string): Route {
  const m = /^\/ui\/projects\/([^/]+)\/?$/.exec(pathname);
  return m ? { page: 'project', project: decodeURIComponent(m[1]!) } : { page: 'projects' };
}

/** The URL of a Project's page. */
export const projectUrl = (project: string) => `/ui/projects/${encodeURIComponent(project)}`;

/** Goes to `url` without reloading the page. */
export function navigate(url: string): void {
  history.pushState(null, '', url);
  dispatchEvent(new PopStateEvent('popstate'));
}

/** The current route, updated on navigation and on the browser's back and forward buttons. */
export function useRoute(): Route {
  const [route, setRoute] = useState(() => parseRoute(location.pathname));
  useEffect(() => {
    const on = () => setRoute(parseRoute(location.pathname));
    addEventListener('popstate', on);
    return () => removeEventListener('popstate', on);
  }, []);
  return route;
}
