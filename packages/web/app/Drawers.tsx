/**
 * Side drawers: a Stage's health and Promotion history with per-step status and durations (and
 * Approve / Reject on a Promotion waiting for approval), a Freight's standing with each Stage
 * (approve, reject, un-reject), and a Warehouse's discovered artifacts with a Refresh button. All
 * stay live.
 */
import type { Freight, Promotion, Stage, StageHealth, Warehouse } from '@ferry/contracts';
import type { ComponentChildren } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import {
  type ApprovalGate,
  approvalGateOf,
  freightStandings,
  hasRole,
  type Identity,
  needsRoleTooltip,
  rejectionsOf,
} from '../src/gates.ts';
import { formatDuration, freightTag, healthToneOf, toneOf } from '../src/model.ts';
import { ApiError, getJSON, postJSON, projectPath, useWatch } from './api.ts';
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

/** Why `identity` may not use a promoter's button in `project` (its tooltip); undefined when it may. */
const promoterDenied = (identity: Identity | undefined, project: string): string | undefined =>
  hasRole(identity, project, 'promoter')
    ? undefined
    : identity
      ? needsRoleTooltip(project, 'promoter')
      : 'checking your roles…';

/**
 * A Stage's health and its Promotions, newest first, each with its steps, their durations and its
 * message; a Promotion waiting for approval gets Approve and Reject.
 */
export function StageDrawer(props: {
  project: string;
  stage: string;
  freight: Map<string, Freight>;
  /** The Stage as the page watches it (live), for its health; undefined until it arrives. */
  stageObject: Stage | undefined;
  identity: Identity | undefined;
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
  const denied = promoterDenied(props.identity, props.project);
  return (
    <Drawer title={props.stage} kind="Stage" onClose={props.onClose}>
      <HealthSection health={props.stageObject?.status?.health} />
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
                  <span title={denied ?? ''}>
                    <button
                      type="button"
                      class="link"
                      disabled={denied !== undefined}
                      onClick={() => abort(p.metadata.name)}
                    >
                      abort
                    </button>
                  </span>
                )}
              </div>
              <div class="muted small mono">{p.metadata.name}</div>
              {p.status.message && <p class="message">{p.status.message}</p>}
              {approvalGateOf(p) && (
                <GatePanel
                  base={base}
                  promotion={p.metadata.name}
                  gate={approvalGateOf(p)!}
                  identity={props.identity}
                  denied={denied}
                  onNotice={setNotice}
                />
              )}
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

/**
 * A Stage's health from its Argo CD Applications: the state, why it is not Healthy, and each
 * Application's health and sync. The Stage list is watched, so a change shows without a reload.
 */
function HealthSection({ health }: { health: StageHealth | undefined }) {
  return (
    <section class="health" data-stage-health={health?.status ?? 'none'}>
      <h3>
        Health {health && <span class={`badge small ${healthToneOf(health.status)}`}>{health.status}</span>}
      </h3>
      {!health && (
        <p class="muted small">
          No health yet: the Stage updates no Argo CD Application, or none has been seen.
        </p>
      )}
      {health && health.issues.length > 0 && (
        <ul class="issues">
          {health.issues.map((i) => (
            <li key={i}>{i}</li>
          ))}
        </ul>
      )}
      {health && health.apps.length > 0 && (
        <table class="steps apps">
          <thead>
            <tr>
              <th>Application</th>
              <th>State</th>
              <th>Health</th>
              <th>Sync</th>
            </tr>
          </thead>
          <tbody>
            {health.apps.map((a) => {
              const revision = a.syncStatus.revision ?? a.syncStatus.revisions?.join(', ');
              const wanted = a.desiredRevisions?.filter(Boolean).join(', ');
              return (
                <tr key={`${a.cluster ?? ''}/${a.namespace}/${a.name}`} data-app={a.name}>
                  <td class="mono">
                    {a.cluster ? `${a.cluster}: ` : ''}
                    {a.namespace}/{a.name}
                  </td>
                  <td>
                    <span class={`badge small ${healthToneOf(a.state)}`}>{a.state}</span>
                  </td>
                  <td title={a.healthStatus.message ?? ''}>
                    {a.healthStatus.status}
                    {a.healthStatus.message && <div class="muted small">{a.healthStatus.message}</div>}
                  </td>
                  <td class="mono small" title={wanted ? `wanted: ${wanted}` : ''}>
                    {a.syncStatus.status}
                    {revision ? ` @ ${revision.slice(0, 7)}` : ''}
                  </td>
                </tr>
              );
            })}
          </tbody>
        </table>
      )}
      {health && <p class="muted small">updated {new Date(health.updatedAt).toLocaleString()}</p>}
    </section>
  );
}

/** Approve / Reject of a Promotion waiting in a `wait-for-approval` step, with an optional comment. */
function GatePanel(props: {
  base: string;
  promotion: string;
  gate: ApprovalGate;
  identity: Identity | undefined;
  denied: string | undefined;
  onNotice: (text: string) => void;
}) {
  const [comment, setComment] = useState('');
  const [busy, setBusy] = useState(false);
  // The recorded decisions are the authority on who approved; the step's message (what `gate` was
  // read from) only stands in until they arrive, or if the api cannot list them.
  const [recorded, setRecorded] = useState<string[] | undefined>(undefined);
  const seen = props.gate.approvedBy.join(',');
  useEffect(() => {
    let live = true;
    getJSON<{ approvals: Array<{ by: string; reject?: boolean }> }>(
      `${props.base}/promotions/${encodeURIComponent(props.promotion)}/approvals`,
    )
      .then((r) => {
        if (live) setRecorded(r.approvals.filter((a) => !a.reject).map((a) => a.by));
      })
      .catch(() => undefined);
    return () => {
      live = false;
    };
  }, [props.base, props.promotion, seen]);
  const gate = recorded ? { ...props.gate, approvedBy: recorded } : props.gate;
  const mine = props.identity !== undefined && gate.approvedBy.includes(props.identity.subject);
  const decide = async (verb: 'approve' | 'reject') => {
    setBusy(true);
    try {
      await postJSON(
        `${props.base}/promotions/${encodeURIComponent(props.promotion)}/${verb}`,
        comment.trim() ? { reason: comment.trim() } : {},
      );
      props.onNotice(`${verb === 'approve' ? 'approval' : 'rejection'} of ${props.promotion} requested`);
      setComment('');
    } catch (err) {
      props.onNotice(err instanceof ApiError ? err.message : String(err));
    } finally {
      setBusy(false);
    }
  };
  const approveDenied =
    props.denied ?? (mine ? 'you approved it already; it needs another user to approve' : undefined);
  return (
    <div class="gate" data-gate={props.promotion}>
      <div class="row">
        <span class="badge small waiting">waiting for approval</span>
        <span data-approvals>
          {gate.approvedBy.length} of {gate.needed} approval{gate.needed === 1 ? '' : 's'}
        </span>
        {gate.approvedBy.length > 0 && <span class="muted small">by {gate.approvedBy.join(', ')}</span>}
      </div>
      {gate.prompt && <p class="message">{gate.prompt}</p>}
      <input
        type="text"
        class="comment"
        placeholder="comment (optional)"
        maxLength={2000}
        value={comment}
        disabled={props.denied !== undefined}
        onInput={(e) => setComment((e.target as HTMLInputElement).value)}
      />
      <div class="row">
        <span title={approveDenied ?? ''}>
          <button
            type="button"
            class="primary"
            data-approve
            disabled={busy || approveDenied !== undefined}
            onClick={() => decide('approve')}
          >
            Approve
          </button>
        </span>
        <span title={props.denied ?? 'the Promotion fails'}>
          <button
            type="button"
            class="danger"
            data-reject
            disabled={busy || props.denied !== undefined}
            onClick={() => decide('reject')}
          >
            Reject
          </button>
        </span>
      </div>
    </div>
  );
}

/**
 * A piece of Freight: what it holds, and where it stands with each Stage. A promoter may approve
 * it for a Stage (it may go there unverified upstream), reject it for one Stage or all (with a
 * reason), and undo a rejection.
 */
export function FreightDrawer(props: {
  project: string;
  freight: Freight;
  /** The Project's Stages, in graph order. */
  stages: string[];
  identity: Identity | undefined;
  onNotice: (n: Notice) => void;
  onClose: () => void;
}) {
  const f = props.freight;
  const base = projectPath(props.project);
  const denied = promoterDenied(props.identity, props.project);
  const [target, setTarget] = useState('');
  const [reason, setReason] = useState('');
  const send = async (path: string, body: Record<string, unknown>, done: string) => {
    try {
      await postJSON(`${base}/freight/${path}`, { freight: f.metadata.name, ...body });
      props.onNotice({ tone: 'ok', text: done });
    } catch (err) {
      props.onNotice({ tone: 'bad', text: err instanceof ApiError ? err.message : String(err) });
    }
  };
  const standings = freightStandings(f, props.stages);
  const rejections = rejectionsOf(f);
  const stageLabel = target || 'every Stage';
  return (
    <Drawer title={f.alias} kind="Freight" onClose={props.onClose}>
      <div class="muted small mono">{f.metadata.name}</div>
      <p>
        <span class="tag">{freightTag(f)}</span> from Warehouse {f.origin.name}
      </p>
      <table class="steps standings">
        <thead>
          <tr>
            <th>Stage</th>
            <th>Standing</th>
          </tr>
        </thead>
        <tbody>
          {standings.map((s) => (
            <tr key={s.stage} data-standing={s.stage}>
              <td class="mono">{s.stage}</td>
              <td>
                {s.current && <span class="badge small ok">in it now</span>}
                {s.verifiedAt && <span class="badge small ok">verified</span>}
                {s.approved && (
                  <span
                    class="badge small running"
                    title={`by ${s.approved.by ?? 'unknown'} at ${s.approved.at}`}
                  >
                    approved
                  </span>
                )}
                {s.rejected && (
                  <span class="badge small bad" title={`by ${s.rejected.by}: ${s.rejected.reason}`}>
                    rejected{s.rejected.everywhere ? ' everywhere' : ''}
                  </span>
                )}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      <h3>Approve or reject</h3>
      <label class="field">
        Stage
        <select
          value={target}
          data-freight-stage
          onChange={(e) => setTarget((e.target as HTMLSelectElement).value)}
        >
          <option value="">every Stage (reject only)</option>
          {props.stages.map((s) => (
            <option key={s} value={s}>
              {s}
            </option>
          ))}
        </select>
      </label>
      <label class="field">
        Reason (for a rejection)
        <input
          type="text"
          maxLength={1000}
          value={reason}
          data-freight-reason
          onInput={(e) => setReason((e.target as HTMLInputElement).value)}
        />
      </label>
      <div class="row">
        <span title={denied ?? (target ? '' : 'pick the Stage to approve it for')}>
          <button
            type="button"
            class="primary"
            data-freight-approve
            disabled={denied !== undefined || !target}
            onClick={() =>
              send('approve', { stage: target }, `Approval of ${f.alias} for ${target} requested`)
            }
          >
            Approve for {target || '…'}
          </button>
        </span>
        <span title={denied ?? ''}>
          <button
            type="button"
            class="danger"
            data-freight-reject
            disabled={denied !== undefined}
            onClick={() =>
              send(
                'reject',
                { ...(target ? { stage: target } : {}), ...(reason.trim() ? { reason: reason.trim() } : {}) },
                `Rejection of ${f.alias} for ${stageLabel} requested`,
              )
            }
          >
            Reject for {stageLabel}
          </button>
        </span>
      </div>
      {rejections.length > 0 && (
        <>
          <h3>Rejections</h3>
          <ul class="rejections">
            {rejections.map((r) => (
              <li key={r.stage} data-rejection={r.stage}>
                <span class="mono">{r.stage === '*' ? 'every Stage' : r.stage}</span>{' '}
                <span class="muted small">
                  by {r.by}
                  {r.reason ? `: ${r.reason}` : ''}
                </span>{' '}
                <span title={denied ?? ''}>
                  <button
                    type="button"
                    class="link"
                    data-unreject={r.stage}
                    disabled={denied !== undefined}
                    onClick={() =>
                      send(
                        'reject',
                        { undo: true, ...(r.stage === '*' ? {} : { stage: r.stage }) },
                        `Un-rejection of ${f.alias} for ${r.stage === '*' ? 'every Stage' : r.stage} requested`,
                      )
                    }
                  >
                    un-reject
                  </button>
                </span>
              </li>
            ))}
          </ul>
        </>
      )}
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
