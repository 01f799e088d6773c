/**
 * The UI's pure core: how the pipeline graph is laid out, where each piece of Freight is, and how
 * phases and durations read. No DOM and no fetching, so it is tested under Node and shared by the
 * components.
 */
import type { Freight, Promotion, PromotionPhase, Stage, Warehouse } from '@ferry/contracts';

/** Card geometry of the pipeline graph, in CSS pixels; the components use the same numbers. */
export const CARD = { width: 232, height: 128, gapX: 64, gapY: 20 } as const;

/** A card in the pipeline graph: a Warehouse (column 0) or a Stage (column = its depth). */
export interface GraphNode {
  /** `Warehouse/<name>` or `Stage/<name>`: unique across kinds. */
  key: string;
  kind: 'Warehouse' | 'Stage';
  name: string;
  column: number;
  row: number;
  /** Top-left corner of the card. */
  x: number;
  y: number;
}

/** An arrow of the graph: Freight flows from `from` to `to`. */
export interface GraphEdge {
  from: string;
  to: string;
  /** SVG path data, from the right edge of `from` to the left edge of `to`. */
  path: string;
}

/** The whole graph, with the size of the box that holds it. */
export interface PipelineLayout {
  nodes: GraphNode[];
  edges: GraphEdge[];
  width: number;
  height: number;
}

const stageKey = (name: string) => `Stage/${name}`;
const warehouseKey = (name: string) => `Warehouse/${name}`;

/**
 * Lays the pipeline out left to right: Warehouses in column 0, each Stage one column right of its
 * deepest upstream (a Stage taking Freight directly from a Warehouse sits in column 1). Edges come
 * from `spec.requestedFreight[].sources`. Upstream Stages that do not exist draw no edge, and a
 * cycle (which Kargo forbids) is cut rather than looping forever.
 */
export function layoutPipeline(warehouses: readonly Warehouse[], stages: readonly Stage[]): PipelineLayout {
  const byName = new Map(stages.map((s) => [s.metadata.name, s]));
  const whNames = new Set(warehouses.map((w) => w.metadata.name));
  const depth = new Map<string, number>();
  const visiting = new Set<string>();
  const depthOf = (name: string): number => {
    const known = depth.get(name);
    if (known !== undefined) return known;
    if (visiting.has(name)) return 0;
    visiting.add(name);
    let d = 1;
    for (const req of byName.get(name)?.spec.requestedFreight ?? []) {
      for (const up of req.sources.stages) if (byName.has(up)) d = Math.max(d, depthOf(up) + 1);
    }
    visiting.delete(name);
    depth.set(name, d);
    return d;
  };

  const edges: Array<{ from: string; to: string }> = [];
  for (const s of stages) {
    for (const req of s.spec.requestedFreight) {
      if (req.sources.direct && whNames.has(req.origin.name)) {
        edges.push({ from: warehouseKey(req.origin.name), to: stageKey(s.metadata.name) });
      }
      for (const up of req.sources.stages) {
        if (byName.has(up)) edges.push({ from: stageKey(up), to: stageKey(s.metadata.name) });
      }
    }
  }

  const columns: string[][] = [[...whNames].sort().map(warehouseKey)];
  for (const s of [...stages].sort((a, b) => a.metadata.name.localeCompare(b.metadata.name))) {
    const d = depthOf(s.metadata.name);
    while (columns.length <= d) columns.push([]);
    columns[d]!.push(stageKey(s.metadata.name));
  }
  // Within a column, keep children near their parents: order by the mean row of their upstreams.
  const row = new Map<string, number>();
  columns.forEach((col, c) => {
    if (c > 0) {
      const parentRow = (key: string) => {
        const rows = edges.filter((e) => e.to === key && row.has(e.from)).map((e) => row.get(e.from)!);
        return rows.length ? rows.reduce((a, b) => a + b, 0) / rows.length : Number.MAX_SAFE_INTEGER;
      };
      col.sort((a, b) => parentRow(a) - parentRow(b) || a.localeCompare(b));
    }
    col.forEach((key, r) => {
      row.set(key, r);
    });
  });

  const nodes: GraphNode[] = columns.flatMap((col, c) =>
    col.map((key, r) => {
      const [kind, ...rest] = key.split('/');
      return {
        key,
        kind: kind as GraphNode['kind'],
        name: rest.join('/'),
        column: c,
        row: r,
        x: c * (CARD.width + CARD.gapX),
        y: r * (CARD.height + CARD.gapY),
      };
    }),
  );
  const at = new Map(nodes.map((n) => [n.key, n]));
  // Edges in graph order (by the card they point at), so the drawing and its tests are stable.
  const order = (n: GraphNode) => n.column * 10_000 + n.row;
  const tallest = Math.max(0, ...columns.map((c) => c.length));
  const wide = columns.filter((c) => c.length > 0).length ? columns.length : 0;
  return {
    nodes,
    edges: edges
      .sort(
        (e, f) =>
          order(at.get(e.to)!) - order(at.get(f.to)!) || order(at.get(e.from)!) - order(at.get(f.from)!),
      )
      .map(({ from, to }) => {
        const a = at.get(from)!;
        const b = at.get(to)!;
        const x1 = a.x + CARD.width;
        const y1 = a.y + CARD.height / 2;
        const x2 = b.x;
        const y2 = b.y + CARD.height / 2;
        const mid = (x1 + x2) / 2;
        return { from, to, path: `M${x1},${y1} C${mid},${y1} ${mid},${y2} ${x2},${y2}` };
      }),
    width: wide ? wide * CARD.width + (wide - 1) * CARD.gapX : 0,
    height: tallest ? tallest * CARD.height + (tallest - 1) * CARD.gapY : 0,
  };
}

/** The id of the Freight a Stage holds now (its newest history entry), if any. */
export const currentFreightOf = (stage: Stage): string | undefined => stage.status?.freightHistory?.[0]?.id;

/**
 * The Stages a piece of Freight is in now: the Stages whose newest history entry it is, together
 * with its `status.currentlyIn` for Stages not (yet) listed. A listed Stage decides: Stages change live
 * over the stream on every Promotion, while a Freight's `currentlyIn` is only re-sent when the Freight
 * itself changes, so it goes stale.
 */
export function stagesHolding(freight: Freight, stages: readonly Stage[]): string[] {
  const listed = new Set(stages.map((s) => s.metadata.name));
  const names = new Set(Object.keys(freight.status?.currentlyIn ?? {}).filter((s) => !listed.has(s)));
  for (const s of stages) if (currentFreightOf(s) === freight.metadata.name) names.add(s.metadata.name);
  return [...names].sort();
}

/** Newest Freight first (by creation time, then name, so the order is stable). */
export function newestFirst(freight: readonly Freight[]): Freight[] {
  return [...freight].sort(
    (a, b) =>
      (b.metadata.creationTimestamp ?? '').localeCompare(a.metadata.creationTimestamp ?? '') ||
      a.metadata.name.localeCompare(b.metadata.name),
  );
}

/** The short label of a piece of Freight's content: the first image tag, else commit or chart. */
export function freightTag(f: Freight): string {
  const image = f.images[0];
  if (image) return image.tag || image.digest.slice(0, 19);
  const commit = f.commits[0];
  if (commit) return commit.tag ?? commit.id.slice(0, 7);
  const chart = f.charts[0];
  // An OCI chart has no name of its own (its repoURL names it): show the URL's last segment.
  return chart ? `${chart.name || chart.repoURL.split('/').at(-1)}@${chart.version}` : '';
}

/** How a phase is shown: the colour family of its badge. */
export const Tone = {
  ok: 'ok',
  running: 'running',
  waiting: 'waiting',
  bad: 'bad',
  neutral: 'neutral',
} as const;
/** One of {@link Tone}. */
export type Tone = (typeof Tone)[keyof typeof Tone];

/** The colour family of a Promotion or step phase. */
export function toneOf(phase: PromotionPhase | string | undefined): Tone {
  switch (phase) {
    case 'Succeeded':
      return Tone.ok;
    case 'Running':
      return Tone.running;
    case 'Pending':
      return Tone.waiting;
    case 'Failed':
    case 'Errored':
      return Tone.bad;
    default:
      return Tone.neutral;
  }
}

/** The colour family of a Stage's health (`status.health.status`, Kargo's states). */
export function healthToneOf(state: string | undefined): Tone {
  switch (state) {
    case 'Healthy':
      return Tone.ok;
    case 'Progressing':
      return Tone.running;
    case 'Unhealthy':
      return Tone.bad;
    case 'Unknown':
      return Tone.waiting;
    default:
      return Tone.neutral;
  }
}

/** What a Stage card shows about promotion: the newest Promotion to it, or the Stage's own record. */
export interface StagePromotionState {
  name: string;
  phase: PromotionPhase;
  freight: string;
  message?: string;
}

/**
 * The newest Promotion to `stage` among `promotions` (they arrive in request order), falling back to
 * the Stage's `status.currentPromotion`/`lastPromotion` when the list has none for it.
 */
export function stagePromotion(
  stage: Stage,
  promotions: readonly Promotion[],
): StagePromotionState | undefined {
  const mine = promotions.filter((p) => p.spec.stage === stage.metadata.name);
  const newest = mine.sort((a, b) =>
    (a.status.createdAt ?? a.metadata.creationTimestamp ?? a.metadata.name).localeCompare(
      b.status.createdAt ?? b.metadata.creationTimestamp ?? b.metadata.name,
    ),
  )[mine.length - 1];
  if (newest) {
    return {
      name: newest.metadata.name,
      phase: newest.status.phase,
      freight: newest.spec.freight,
      ...(newest.status.message ? { message: newest.status.message } : {}),
    };
  }
  const current = stage.status?.currentPromotion;
  if (current) return { name: current.name, phase: 'Running', freight: current.freight };
  const last = stage.status?.lastPromotion;
  return last ? { name: last.name, phase: last.phase, freight: last.freight } : undefined;
}

/** A step's or Promotion's duration as people read it (`850ms`, `4.2s`, `3m 05s`, `1h 02m`). */
export function formatDuration(
  startedAt: string | undefined,
  finishedAt: string | undefined,
  now: Date,
): string {
  if (!startedAt) return '';
  const ms = (finishedAt ? Date.parse(finishedAt) : now.getTime()) - Date.parse(startedAt);
  if (!Number.isFinite(ms) || ms < 0) return '';
  if (ms < 1000) return `${ms}ms`;
  const s = ms / 1000;
  if (s < 60) return `${s.toFixed(1)}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m ${String(Math.floor(s % 60)).padStart(2, '0')}s`;
  return `${Math.floor(m / 60)}h ${String(m % 60).padStart(2, '0')}m`;
}

/** Eight colours that tell Stages apart on Freight chips, picked by the Stage's place in the graph. */
export const STAGE_COLOURS = [
  '#2563eb',
  '#16a34a',
  '#d97706',
  '#9333ea',
  '#db2777',
  '#0891b2',
  '#65a30d',
  '#dc2626',
] as const;

/** The colour of each Stage, in graph order (column by column), so neighbours differ. */
export function stageColours(layout: PipelineLayout): Map<string, string> {
  const stages = layout.nodes.filter((n) => n.kind === 'Stage');
  return new Map(stages.map((n, i) => [n.name, STAGE_COLOURS[i % STAGE_COLOURS.length]!]));
}
