import type { RunningConsumer } from '@ferry/bus';
import { leadTime, secondsBetween } from '@ferry/metrics';
import type { RunningService, ServiceDeps } from '@ferry/runtime';
import { freightFromDiscovery } from './core.ts';

/**
 * freight-store: the one writer of Freight. Turns FreightDiscovered facts into Freight
 * (once per content hash) and records verification on MarkFreightVerified commands.
 */
export async function startFreightStore(
  deps: ServiceDeps,
  clock: () => Date = () => new Date(),
): Promise<RunningService> {
  const { bus, store } = deps;
  const consumers: RunningConsumer[] = [];

  consumers.push(
    await bus.consume({
      type: 'FreightDiscovered',
      durable: 'freight-store-discovered',
      handler: async (msg, ctx) => {
        const taken = await store.freightAliases(msg.project);
        for (let attempt = 0; attempt < 5; attempt++) {
          const now = clock();
          const freight = freightFromDiscovery(msg, now.toISOString(), (a) => taken.has(a));
          const outcome = await store.createFreight(freight, now.getTime());
          if (outcome === 'alias-taken') {
            taken.add(freight.alias);
            continue;
          }
          const stored =
            outcome === 'created' ? freight : await store.getFreight(msg.project, freight.metadata.name);
          const log = ctx.log.child({ freight: freight.metadata.name, warehouse: msg.warehouse });
          if (outcome === 'created') log.info({ alias: freight.alias }, 'freight created');
          else log.debug('freight already known');
          // Published on every delivery: the msg id makes it once within the dedupe window, and
          // consumers are idempotent beyond it, so a crash after the write loses nothing.
          await bus.publish(
            'FreightCreated',
            {
              project: msg.project,
              freight: freight.metadata.name,
              alias: stored?.alias ?? freight.alias,
              warehouse: msg.warehouse,
              ...(msg.traceparent ? { traceparent: msg.traceparent } : {}),
            },
            `freight-created:${msg.project}:${freight.metadata.name}`,
          );
          return;
        }
        throw new Error(`could not find a free alias for Freight from Warehouse ${msg.warehouse}`);
      },
    }),
  );

  consumers.push(
    await bus.consume({
      type: 'MarkFreightVerified',
      durable: 'freight-store-verify',
      handler: async (cmd, ctx) => {
        const freight = await store.getFreight(cmd.project, cmd.freight);
        if (!freight) {
          ctx.log.warn({ freight: cmd.freight }, 'verification for unknown freight ignored');
          return;
        }
        const fresh = await store.markFreightVerified(
          cmd.project,
          cmd.freight,
          cmd.stage,
          cmd.verifiedAt,
          cmd.promotion,
        );
        if (fresh) {
          ctx.log.info({ freight: cmd.freight, stage: cmd.stage }, 'freight verified');
          // DORA lead time: once per Freight and Stage, from its creation (discovery) to verified here.
          const lead = secondsBetween(freight.metadata.creationTimestamp, cmd.verifiedAt);
          if (lead !== undefined) leadTime.observe({ project: cmd.project, stage: cmd.stage }, lead);
        }
        await bus.publish(
          'FreightVerified',
          { project: cmd.project, freight: cmd.freight, stage: cmd.stage, promotion: cmd.promotion },
          `freight-verified:${cmd.project}:${cmd.freight}:${cmd.stage}`,
        );
      },
    }),
  );

  consumers.push(
    await bus.consume({
      type: 'ApproveFreight',
      durable: 'freight-store-approve',
      handler: async (cmd, ctx) => {
        if (!(await store.getFreight(cmd.project, cmd.freight))) {
          ctx.log.warn({ freight: cmd.freight }, 'approval for unknown freight ignored');
          return;
        }
        if (await store.approveFreight(cmd.project, cmd.freight, cmd.stage, cmd.at, cmd.by)) {
          ctx.log.info({ freight: cmd.freight, stage: cmd.stage, by: cmd.by }, 'freight approved');
        }
        await bus.publish(
          'FreightApproved',
          { project: cmd.project, freight: cmd.freight, stage: cmd.stage, by: cmd.by },
          `freight-approved:${cmd.project}:${cmd.freight}:${cmd.stage}`,
        );
      },
    }),
    await bus.consume({
      type: 'RejectFreight',
      durable: 'freight-store-reject',
      handler: async (cmd, ctx) => {
        if (!(await store.getFreight(cmd.project, cmd.freight))) {
          ctx.log.warn({ freight: cmd.freight }, 'rejection for unknown freight ignored');
          return;
        }
        const changed = cmd.undo
          ? await store.unrejectFreight(cmd.project, cmd.freight, cmd.stage)
          : await store.rejectFreight(cmd.project, cmd.freight, cmd.stage, {
              rejectedAt: cmd.at,
              by: cmd.by,
              reason: cmd.reason,
            });
        if (changed) {
          ctx.log.info(
            { freight: cmd.freight, stage: cmd.stage, by: cmd.by, reason: cmd.reason, undo: cmd.undo },
            cmd.undo ? 'freight rejection undone' : 'freight rejected',
          );
        }
        await bus.publish(
          'FreightRejected',
          { project: cmd.project, freight: cmd.freight, stage: cmd.stage, undone: cmd.undo, by: cmd.by },
          `freight-rejected:${cmd.project}:${cmd.freight}:${cmd.stage}:${cmd.at}`,
        );
      },
    }),
  );

  return {
    stop: async () => {
      await Promise.all(consumers.map((c) => c.stop()));
    },
  };
}
