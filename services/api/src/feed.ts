import type { NatsConnection, Subscription } from '@nats-io/transport-node';

/** The resource kinds the API lists, as they appear in its paths. */
export type WatchKind = 'projects' | 'warehouses' | 'stages' | 'freight' | 'promotions';

/** "Something about this resource changed": the watcher re-reads it from Redis. */
export interface ChangeNotice {
  kind: WatchKind;
  project: string;
  /** The resource's name; for `projects`, the Project itself. */
  name: string;
}

type Listener = (n: ChangeNotice) => void;

/**
 * Turns Ferry's facts into change notices for `?watch=true` streams. It listens on plain NATS
 * (every api replica sees every fact; JetStream publishes reach core subscribers too) and never
 * trusts a fact's content: watchers re-read the resource from Redis, the source of truth.
 */
export class ChangeFeed {
  private readonly listeners = new Set<Listener>();
  private readonly sub: Subscription;

  constructor(nc: NatsConnection) {
    const sub = nc.subscribe('ferry.v1.>');
    this.sub = sub;
    void (async () => {
      for await (const m of sub) {
        if (
          this.listeners.size === 0 ||
          m.subject.startsWith('ferry.v1.cmd.') ||
          m.subject.startsWith('ferry.v1.dead.')
        ) {
          continue;
        }
        let payload: Record<string, unknown>;
        try {
          payload = m.json();
        } catch {
          continue;
        }
        for (const n of noticesFor(m.subject, payload)) for (const l of this.listeners) l(n);
      }
    })();
  }

  /** Calls `listener` for every change until the returned function is called. */
  listen(listener: Listener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Stops listening to NATS. */
  close(): void {
    this.sub.unsubscribe();
  }
}

/** Which resources a fact changes. Pure, so it is tested without NATS. */
export function noticesFor(subject: string, p: Record<string, unknown>): ChangeNotice[] {
  const project = typeof p.project === 'string' ? p.project : '';
  const str = (k: string) => (typeof p[k] === 'string' ? (p[k] as string) : '');
  if (!project) return [];
  const type = subject.split('.').slice(2, 4).join('.');
  switch (type) {
    case 'warehouse.discovered':
      return [{ kind: 'warehouses', project, name: str('warehouse') }];
    case 'freight.created':
    case 'freight.verified':
    case 'freight.approved':
    case 'freight.rejected':
      return [{ kind: 'freight', project, name: str('freight') }];
    case 'promotion.created':
    case 'promotion.changed':
      return [
        { kind: 'promotions', project, name: str('promotion') },
        { kind: 'stages', project, name: str('stage') },
      ];
    case 'stage.verification':
      return [
        { kind: 'stages', project, name: str('stage') },
        { kind: 'freight', project, name: str('freight') },
      ];
    case 'stage.health':
      // StageHealthChanged: the Stage view carries its health (status.health), so it is MODIFIED.
      return [{ kind: 'stages', project, name: str('stage') }];
    case 'definition.applied': {
      const kinds: Record<string, WatchKind> = {
        Project: 'projects',
        Warehouse: 'warehouses',
        Stage: 'stages',
      };
      const resources = Array.isArray(p.resources)
        ? (p.resources as Array<{ kind: string; name: string }>)
        : [];
      return resources.flatMap((r) =>
        kinds[r.kind] ? [{ kind: kinds[r.kind]!, project, name: r.name }] : [],
      );
    }
    case 'definition.deleted': {
      // The watcher re-reads each one, finds it gone and sends DELETED.
      const kinds: Record<string, WatchKind> = {
        Project: 'projects',
        Warehouse: 'warehouses',
        Stage: 'stages',
        Freight: 'freight',
        Promotion: 'promotions',
      };
      const resources = Array.isArray(p.resources)
        ? (p.resources as Array<{ kind: string; name: string }>)
        : [];
      return resources.flatMap((r) =>
        kinds[r.kind] ? [{ kind: kinds[r.kind]!, project, name: r.name }] : [],
      );
    }
    default:
      return [];
  }
}
