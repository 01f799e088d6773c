/** The UI's shell: a header and the page the URL names. */
import type { Project } from '@ferry/contracts';
import { useEffect, useState } from 'preact/hooks';
import { AUTH_CHANGED, getToken, setToken, useWatch } from './api.ts';
import { Login, needsLogin } from './Login.tsx';
import { ProjectPage } from './ProjectPage.tsx';
import { navigate, projectUrl, useRoute } from './router.ts';

/** The whole UI. */
export function App() {
  const route = useRoute();
  // 'checking' until whoami answers; 'login' when the api wants a token this browser lacks.
  const [auth, setAuth] = useState<'checking' | 'ok' | 'login'>('checking');
  useEffect(() => {
    const check = () =>
      void needsLogin()
        .then((login) => setAuth(login ? 'login' : 'ok'))
        .catch(() => setAuth('ok'));
    check();
    window.addEventListener(AUTH_CHANGED, check);
    return () => window.removeEventListener(AUTH_CHANGED, check);
  }, []);
  if (auth === 'checking') return <div class="shell" />;
  if (auth === 'login') return <Login refused={getToken() !== undefined} />;
  return (
    <div class="shell">
      <header class="topbar">
        <a
          class="brand"
          href="/ui"
          onClick={(e) => {
            e.preventDefault();
            navigate('/ui');
          }}
        >
          Ferry
        </a>
        {route.page === 'project' && <span class="crumb">/ {route.project}</span>}
        {getToken() !== undefined && (
          <button type="button" class="logout" onClick={() => setToken(undefined)}>
            Log out
          </button>
        )}
      </header>
      {route.page === 'project' ? <ProjectPage key={route.project} project={route.project} /> : <Projects />}
    </div>
  );
}

function Projects() {
  const projects = useWatch<Project>('/api/v1/projects');
  const list = [...projects.items.values()].sort((a, b) => a.metadata.name.localeCompare(b.metadata.name));
  return (
    <main class="page">
      <h1>Projects</h1>
      {!projects.synced && <p class="muted">loading…</p>}
      {projects.synced && list.length === 0 && (
        <p class="muted">
          No Projects yet. Apply your Kargo manifests with <code>pnpm ferry apply -f &lt;file&gt;</code>.
        </p>
      )}
      <ul class="project-list">
        {list.map((p) => (
          <li key={p.metadata.name}>
            <a
              href={projectUrl(p.metadata.name)}
              onClick={(e) => {
                e.preventDefault();
                navigate(projectUrl(p.metadata.name));
              }}
            >
              {p.metadata.name}
            </a>
          </li>
        ))}
      </ul>
    </main>
  );
}
