/** The UI's shell: a header and the page the URL names. */
import type { Project } from '@ferry/contracts';
import { useWatch } from './api.ts';
import { ProjectPage } from './ProjectPage.tsx';
import { navigate, projectUrl, useRoute } from './router.ts';

/** The whole UI. */
export function App() {
  const route = useRoute();
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
