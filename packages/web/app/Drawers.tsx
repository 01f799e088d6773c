/**
 * Side drawers: a Stage's Promotion history with per-step status and durations, and a Warehouse's
 * discovered artifacts with a Refresh button. Both stay live.
 */
import type { Freight, Promotion, Warehouse } from '@ferry/contracts';
import type { ComponentChildren } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { formatDuration, toneOf } from '../src/model.ts';
import { ApiError, postJSON, projectPath, useWatch } from './api.ts';
import type { Notice } from './ProjectPage.tsx';

/** Re-renders every second while something runs, so running durations count up. */
function useNow(active: boolean): Date {
  const [now, setNow] = useState(() => new Date());
  useEffect(() => {
    if (!active) return;
    const t = setInterval(() => setNow(new Date()), 1000);
    return () => clearInterval(t);
  }, [active]);
  return now;
}

function Drawer(props: { title: string; kind: string; onClose: () => void; children: ComponentChildren }) {
  useEffect(() => {
    const on = (e: KeyboardEvent) => e.key === 'Escape' && props.onClose();
    addEventListener('keydown', on);
    return () => removeEventListener('keydown', on);
  }, [props.onClose]);
  return (
    <aside class="drawer" aria-label={`${props.kind} ${props.title}`}>
      <div class="drawer-head">
        <span class="kind">{props.kind}</span>
        <h2>{props.title}</h2>
        <button type="button" class="link" onClick={props.onClose} aria-label="close">
          ✕
        </button>
      </div>
      <div class="drawer-body">{props.children}</div>
    </aside>
  );
}

/** A Stage's Promotions, newest first, each with its steps, their durations and its message. */
export function StageDrawer(props: {
  project: string;
  stage: string;
  freight: Map<string, Freight>;
  onClose: () => void;
}) {
  const base = projectPath(props.project);
  const watched = useWatch<Promotion>(`${base}/promotions?stage=${encodeURIComponent(props.stage)}`);
  const list = [...watched.items.values()].reverse();
  const running = list.some((p) => p.status.phase === 'Running' || p.status.phase === 'Pending');
  const now = useNow(running);
  const [notice, setNotice] = useState<string>();
  const abort = async (name: string) => {
    try {
      await postJSON(`${base}/promotions/${encodeURIComponent(name)}/abort`);
      setNotice(`abort of ${name} requested`);
    } catch (err) {
      setNotice(err instanceof ApiError ? err.message : String(err));
    }
  };
  return (
    <Drawer title={props.stage} kind="Stage" onClose={props.onClose}>
      <h3>Promotions</h3>
      {notice && <p class="muted">{notice}</p>}
      {watched.synced && list.length === 0 && <p class="muted">No Promotions to this Stage yet.</p>}
      <ol class="promotions">
        {list.map((p) => {
          const f = props.freight.get(p.spec.freight);
          const active = p.status.phase === 'Running' || p.status.phase === 'Pending';
          return (
            <li key={p.metadata.name} class="promotion" data-promotion={p.metadata.name}>
              <div class="row">
                <span class={`badge ${toneOf(p.status.phase)}`}>{p.status.phase}</span>
                <span class="alias">{f?.alias ?? p.spec.freight.slice(0, 7)}</span>
                <span class="muted small">
                  {formatDuration(p.status.startedAt ?? p.status.createdAt, p.status.finishedAt, now)}
                </span>
                {active && (
                  <button type="button" class="link" onClick={() => abort(p.metadata.name)}>
                    abort
                  </button>
                )}
              </div>
              <div class="muted small mono">{p.metadata.name}</div>
              {p.status.message && <p class="message">{p.status.message}</p>}
              {p.status.stepExecutionMetadata.length > 0 && (
                <table class="steps">
                  <tbody>
                    {p.status.stepExecutionMetadata.map((s, i) => (
                      <tr key={s.alias || i}>
                        <td>
                          <span class={`badge small ${toneOf(s.status)}`}>{s.status}</span>
                        </td>
                        <td class="mono">{s.alias || s.uses}</td>
                        <td class="muted">{formatDuration(s.startedAt, s.finishedAt, now)}</td>
                        <td class="message">{s.message ?? ''}</td>
                      </tr>
                    ))}
                  </tbody>
                </table>
              )}
            </li>
          );
        })}
      </ol>
    </Drawer>
  );
}

/** What a Warehouse last discovered, and a button that asks it to look again now. */
export function WarehouseDrawer(props: {
  project: string;
  warehouse: Warehouse;
  onNotice: (n: Notice) => void;
  onClose: () => void;
}) {
  const w = props.warehouse;
  const name = w.metadata.name;
  const refresh = async () => {
    try {
      await postJSON(`${projectPath(props.project)}/warehouses/${encodeURIComponent(name)}/refresh`);
      props.onNotice({ tone: 'ok', text: `Refresh of Warehouse ${name} requested` });
    } catch (err) {
      props.onNotice({ tone: 'bad', text: err instanceof ApiError ? err.message : String(err) });
    }
  };
  const found = w.status?.discoveredArtifacts;
  return (
    <Drawer title={name} kind="Warehouse" onClose={props.onClose}>
      <button type="button" class="primary" onClick={refresh}>
        Refresh
      </button>
      {w.status?.message && <p class="message">{w.status.message}</p>}
      {w.status?.health?.reason && w.status.health.reason !== w.status.message && (
        <p class="message">{w.status.health.reason}</p>
      )}
      <h3>Discovered artifacts</h3>
      {!found && <p class="muted">Nothing discovered yet.</p>}
      {found && <p class="muted small">at {new Date(found.discoveredAt).toLocaleString()}</p>}
      {found?.images.map((img) => (
        <div key={img.repoURL} class="artifacts">
          <div class="mono">{img.repoURL}</div>
          <table class="steps">
            <tbody>
              {img.references.map((r) => (
                <tr key={r.tag}>
                  <td class="mono">{r.tag}</td>
                  <td class="mono muted">{r.digest?.slice(0, 19) ?? ''}</td>
                  <td class="muted">{r.createdAt ? new Date(r.createdAt).toLocaleString() : ''}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      ))}
    </Drawer>
  );
}
