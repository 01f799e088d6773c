/**
 * A Project's page: the Freight timeline across the top, the pipeline graph below it, and the
 * promote flow (pick Freight then a Stage, or a Stage's Promote button then Freight; a dry run is
 * shown before the user confirms). Everything is kept live by four watched lists.
 */
import type { Freight, Promotion, Stage, Warehouse } from '@ferry/contracts';
import { useMemo, useState } from 'preact/hooks';
import { approvalGateOf, hasRole, needsRoleTooltip } from '../src/gates.ts';
import {
  CARD,
  currentFreightOf,
  freightTag,
  healthToneOf,
  layoutPipeline,
  newestFirst,
  stageColours,
  stagePromotion,
  toneOf,
} from '../src/model.ts';
import { ApiError, postJSON, projectPath, useIdentity, useWatch } from './api.ts';
import { FreightDrawer, StageDrawer, WarehouseDrawer } from './Drawers.tsx';
import { PromoteDialog } from './PromoteDialog.tsx';
import { FreightTimeline } from './Timeline.tsx';

/** What the page says after an action: the api's own message on failure. */
export interface Notice {
  tone: 'ok' | 'bad';
  text: string;
}

type Drawer = { kind: 'Stage' | 'Warehouse' | 'Freight'; name: string } | undefined;

/** The page of one Project. */
export function ProjectPage({ project }: { project: string }) {
  const base = projectPath(project);
  const warehouses = useWatch<Warehouse>(`${base}/warehouses`);
  const stages = useWatch<Stage>(`${base}/stages`);
  const freight = useWatch<Freight>(`${base}/freight`);
  const promotions = useWatch<Promotion>(`${base}/promotions`);
  const [selected, setSelected] = useState<string>();
  const [promotingTo, setPromotingTo] = useState<string>();
  const [notice, setNotice] = useState<Notice>();
  const [drawer, setDrawer] = useState<Drawer>();
  // The promote confirmation being shown (with its dry run); undefined when none is.
  const [confirming, setConfirming] = useState<{ stage: string; freight: string }>();
  const identity = useIdentity();
  const canPromote = hasRole(identity, project, 'promoter');
  const promoteDenied = canPromote
    ? undefined
    : identity
      ? needsRoleTooltip(project, 'promoter')
      : 'checking your roles…';

  const stageList = useMemo(() => [...stages.items.values()], [stages.items]);
  const freightList = useMemo(() => newestFirst([...freight.items.values()]), [freight.items]);
  const promotionList = [...promotions.items.values()];
  const layout = useMemo(
    () => layoutPipeline([...warehouses.items.values()], stageList),
    [warehouses.items, stages.items],
  );
  const colours = useMemo(() => stageColours(layout), [layout]);
  const error = warehouses.error ?? stages.error ?? freight.error ?? promotions.error;

  // Picking a Freight and a Stage opens the confirmation; its Promote button calls promote.
  const confirm = (stage: string, freightId: string) => {
    setSelected(undefined);
    setPromotingTo(undefined);
    setConfirming({ stage, freight: freightId });
  };
  const promote = async (stage: string, freightId: string) => {
    const f = freight.items.get(freightId);
    setConfirming(undefined);
    try {
      const p = await postJSON<Promotion>(`${base}/promotions`, { stage, freight: freightId });
      setNotice({
        tone: 'ok',
        text: `Promoting ${f?.alias ?? freightId.slice(0, 7)} to ${stage} (${p.metadata.name})`,
      });
    } catch (err) {
      setNotice({ tone: 'bad', text: err instanceof ApiError ? err.message : String(err) });
    }
  };
  const onFreight = (id: string) => {
    if (promotingTo) confirm(promotingTo, id);
    else setSelected((s) => (s === id ? undefined : id));
  };
  const onPromote = (stage: string) => {
    if (selected) confirm(stage, selected);
    else setPromotingTo((s) => (s === stage ? undefined : stage));
  };
  const selectedFreight = selected ? freight.items.get(selected) : undefined;

  return (
    <main class="page project">
      {error && <div class="banner bad">{error}</div>}
      {notice && (
        <div class={`banner ${notice.tone}`} role="status">
          {notice.text}
          <button type="button" class="link" onClick={() => setNotice(undefined)}>
            dismiss
          </button>
        </div>
      )}
      {(selectedFreight || promotingTo) && (
        <div class="banner hint">
          {selectedFreight
            ? `Freight ${selectedFreight.alias} selected: press Promote on a Stage.`
            : `Pick the Freight to promote to ${promotingTo}.`}
          {selectedFreight && (
            <button
              type="button"
              class="link"
              data-freight-details
              onClick={() => setDrawer({ kind: 'Freight', name: selectedFreight.metadata.name })}
            >
              details, approve or reject
            </button>
          )}
          <button
            type="button"
            class="link"
            onClick={() => {
              setSelected(undefined);
              setPromotingTo(undefined);
            }}
          >
            cancel
          </button>
        </div>
      )}
      <section class="timeline" aria-label="Freight timeline">
        <h2>Freight</h2>
        {freight.synced && freightList.length === 0 && <p class="muted">No Freight discovered yet.</p>}
        <FreightTimeline
          freight={freightList}
          stages={stageList}
          colours={colours}
          selected={selected}
          picking={!!promotingTo}
          onPick={onFreight}
        />
      </section>
      <section class="pipeline" aria-label="Pipeline">
        <h2>Pipeline</h2>
        {stages.synced && warehouses.synced && layout.nodes.length === 0 && (
          <p class="muted">No Warehouses or Stages in this Project yet.</p>
        )}
        <div class="graph" style={{ width: `${layout.width}px`, height: `${layout.height}px` }}>
          <svg class="edges" width={layout.width} height={layout.height} aria-hidden="true">
            <defs>
              <marker
                id="arrow"
                viewBox="0 0 10 10"
                refX="9"
                refY="5"
                markerWidth="7"
                markerHeight="7"
                orient="auto"
              >
                <path d="M0,0 L10,5 L0,10 z" fill="#94a3b8" />
              </marker>
            </defs>
            {layout.edges.map((e) => (
              <path key={`${e.from}>${e.to}`} d={e.path} marker-end="url(#arrow)" />
            ))}
          </svg>
          {layout.nodes.map((n) => {
            const style = {
              left: `${n.x}px`,
              top: `${n.y}px`,
              width: `${CARD.width}px`,
              height: `${CARD.height}px`,
            };
            if (n.kind === 'Warehouse') {
              const w = warehouses.items.get(n.name)!;
              return (
                <WarehouseCard
                  key={n.key}
                  warehouse={w}
                  style={style}
                  onOpen={() => setDrawer({ kind: 'Warehouse', name: n.name })}
                />
              );
            }
            const s = stages.items.get(n.name)!;
            return (
              <StageCard
                key={n.key}
                stage={s}
                style={style}
                colour={colours.get(n.name) ?? '#64748b'}
                freight={freight.items}
                promotions={promotionList}
                armed={!!selected}
                picking={promotingTo === n.name}
                promoteDenied={promoteDenied}
                onPromote={() => onPromote(n.name)}
                onOpen={() => setDrawer({ kind: 'Stage', name: n.name })}
              />
            );
          })}
        </div>
      </section>
      {drawer?.kind === 'Stage' && (
        <StageDrawer
          project={project}
          stage={drawer.name}
          freight={freight.items}
          stageObject={stages.items.get(drawer.name)}
          identity={identity}
          onClose={() => setDrawer(undefined)}
        />
      )}
      {drawer?.kind === 'Freight' && freight.items.get(drawer.name) && (
        <FreightDrawer
          project={project}
          freight={freight.items.get(drawer.name)!}
          stages={layout.nodes.filter((n) => n.kind === 'Stage').map((n) => n.name)}
          identity={identity}
          onNotice={setNotice}
          onClose={() => setDrawer(undefined)}
        />
      )}
      {confirming && (
        <PromoteDialog
          base={base}
          stage={confirming.stage}
          freightId={confirming.freight}
          freight={freight.items.get(confirming.freight)}
          denied={promoteDenied}
          onConfirm={() => void promote(confirming.stage, confirming.freight)}
          onClose={() => setConfirming(undefined)}
        />
      )}
      {drawer?.kind === 'Warehouse' && warehouses.items.get(drawer.name) && (
        <WarehouseDrawer
          project={project}
          warehouse={warehouses.items.get(drawer.name)!}
          onNotice={setNotice}
          onClose={() => setDrawer(undefined)}
        />
      )}
    </main>
  );
}

type CardStyle = Record<string, string>;

function WarehouseCard(props: { warehouse: Warehouse; style: CardStyle; onOpen: () => void }) {
  const { warehouse: w } = props;
  const health = w.status?.health?.status;
  return (
    <button
      type="button"
      class="card warehouse"
      style={props.style}
      data-warehouse={w.metadata.name}
      onClick={props.onOpen}
    >
      <div class="card-head">
        <span class="kind">Warehouse</span>
        <span class="name">{w.metadata.name}</span>
      </div>
      <div class="card-body">
        {w.spec.subscriptions.map((s) => {
          // A subscription is an image or a git repository (more kinds come later).
          const repo = 'image' in s && s.image ? s.image.repoURL : 'git' in s && s.git ? s.git.repoURL : '';
          return (
            <div key={repo} class="repo" title={repo}>
              {repo}
            </div>
          );
        })}
      </div>
      <div class="card-foot">
        <span class={`badge ${health === 'Unhealthy' ? 'bad' : health ? 'ok' : 'neutral'}`}>
          {health ?? 'not polled yet'}
        </span>
      </div>
    </button>
  );
}

function StageCard(props: {
  stage: Stage;
  style: CardStyle;
  colour: string;
  freight: Map<string, Freight>;
  promotions: Promotion[];
  armed: boolean;
  picking: boolean;
  /** Why the caller may not promote (tooltip of the disabled button); absent when it may. */
  promoteDenied: string | undefined;
  onPromote: () => void;
  onOpen: () => void;
}) {
  const { stage } = props;
  const currentId = currentFreightOf(stage);
  const current = currentId ? props.freight.get(currentId) : undefined;
  const promo = stagePromotion(stage, props.promotions);
  const tone = toneOf(promo?.phase);
  const newest = promo ? props.promotions.find((p) => p.metadata.name === promo.name) : undefined;
  const gate = newest ? approvalGateOf(newest) : undefined;
  return (
    // biome-ignore lint/a11y/useSemanticElements: a card holding a button cannot itself be a button
    <div
      class={`card stage${props.armed ? ' armed' : ''}${props.picking ? ' picking' : ''}`}
      style={{ ...props.style, borderTopColor: props.colour }}
      data-stage={stage.metadata.name}
      role="button"
      tabIndex={0}
      onClick={props.onOpen}
      onKeyDown={(e) => e.key === 'Enter' && props.onOpen()}
    >
      <div class="card-head">
        <span class="dot" style={{ background: props.colour }} />
        <span class="name">{stage.metadata.name}</span>
        <span title={props.promoteDenied ?? ''}>
          <button
            type="button"
            class="promote"
            disabled={props.promoteDenied !== undefined}
            onClick={(e) => {
              e.stopPropagation();
              props.onPromote();
            }}
          >
            Promote
          </button>
        </span>
      </div>
      <div class="card-body current" data-current>
        {current ? (
          <>
            <span class="alias">{current.alias}</span> <span class="tag">{freightTag(current)}</span>
          </>
        ) : currentId ? (
          <span class="alias">{currentId.slice(0, 7)}</span>
        ) : (
          <span class="muted">no Freight yet</span>
        )}
      </div>
      <div class="card-foot">
        {promo ? (
          <span class={`badge ${tone}`} data-phase={promo.phase} title={promo.message ?? promo.name}>
            {(promo.phase === 'Running' || promo.phase === 'Pending') && <span class="spinner" />}
            {promo.phase}
            {!gate &&
            promo.phase !== 'Succeeded' &&
            promo.freight !== currentId &&
            props.freight.get(promo.freight)
              ? ` → ${props.freight.get(promo.freight)!.alias}`
              : ''}
          </span>
        ) : (
          <span class="badge neutral">never promoted</span>
        )}
        {gate && (
          <span
            class="badge small waiting"
            data-gate={`${gate.approvedBy.length}/${gate.needed}`}
            title="waiting for approval: open the Stage to approve or reject"
          >
            approval {gate.approvedBy.length}/{gate.needed}
          </span>
        )}
        {stage.status?.health && (
          <span
            class={`badge small ${healthToneOf(stage.status.health.status)}`}
            data-health={stage.status.health.status}
            title={stage.status.health.issues.join('\n') || 'Argo CD Applications Healthy'}
          >
            {stage.status.health.status}
          </span>
        )}
      </div>
    </div>
  );
}
