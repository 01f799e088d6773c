/**
 * The file-editing steps. Each checks its config, resolves its work-tree paths to a checkout
 * with {@link locate} and records one edit for git-writer, which applies the edits in order at
 * `git-push`. Steps that Kargo gives a `commitMessage` output give the same one here.
 */
import type { GitEdit } from '@ferry/contracts';
import { describeCharts, findChart } from '../expressions.ts';
import { locate } from './paths.ts';
import { stepConfig, Type } from './schema.ts';
import type { StepContext, StepResult, StepRunner } from './types.ts';

const Scalar = Type.Union([Type.String(), Type.Number(), Type.Boolean(), Type.Null()]);
const Updates = Type.Array(Type.Object({ key: Type.String({ minLength: 1 }), value: Scalar }), {
  minItems: 1,
});
const Path = Type.String({ minLength: 1 });

/** Records an edit in the checkout that holds `path`; returns the repository-relative path. */
function record(ctx: StepContext, path: string, field: string, edit: (repoPath: string) => GitEdit): void {
  const { checkout, repoPath } = locate(ctx.workspace, path, field);
  ctx.workspace.edits.push({ checkout: checkout.path, ...edit(repoPath) });
}

/** A value as Kargo's commit messages show it: strings quoted, the rest as is. */
const shown = (v: unknown) => (typeof v === 'string' ? JSON.stringify(v) : String(v));

const updateMessage = (path: string, updates: ReadonlyArray<{ key: string; value: unknown }>) =>
  `Updated ${path}\n\n${updates.map((u) => `- ${u.key}: ${shown(u.value)}`).join('\n')}`;

const YamlSchema = Type.Object({ path: Path, updates: Updates }, { additionalProperties: false });

/** `yaml-update`: sets keys (dot paths, `a.0.b` for list items) in a YAML file, keeping comments. */
export const yamlUpdate: StepRunner = {
  uses: 'yaml-update',
  defaultTimeoutMs: 60_000,
  async run(ctx): Promise<StepResult> {
    const cfg = stepConfig(YamlSchema, this.uses, ctx.config);
    record(ctx, cfg.path, 'path', (path) => ({ kind: 'yaml-update', path, updates: cfg.updates }));
    return { status: 'Succeeded', outputs: { commitMessage: updateMessage(cfg.path, cfg.updates) } };
  },
};

/** `json-update`: sets keys in a JSON file, keeping its indentation. */
export const jsonUpdate: StepRunner = {
  uses: 'json-update',
  defaultTimeoutMs: 60_000,
  async run(ctx): Promise<StepResult> {
    const cfg = stepConfig(YamlSchema, this.uses, ctx.config);
    record(ctx, cfg.path, 'path', (path) => ({ kind: 'json-update', path, updates: cfg.updates }));
    return { status: 'Succeeded', outputs: { commitMessage: updateMessage(cfg.path, cfg.updates) } };
  },
};

const HelmSchema = Type.Object(
  {
    path: Path,
    charts: Type.Array(
      Type.Object(
        {
          repository: Type.String({ minLength: 1 }),
          name: Type.String({ minLength: 1 }),
          version: Type.Optional(Type.String({ minLength: 1 })),
        },
        { additionalProperties: false },
      ),
      { minItems: 1 },
    ),
  },
  { additionalProperties: false },
);

/**
 * `helm-update-chart`: sets dependency versions in a chart's `Chart.yaml`. A chart without a
 * `version` takes the one of the target Freight's chart from the same repository and of the same
 * name (for an `oci://` repository, the Freight's chart `<repository>/<name>`), as Kargo does.
 */
export const helmUpdateChart: StepRunner = {
  uses: 'helm-update-chart',
  defaultTimeoutMs: 60_000,
  async run(ctx): Promise<StepResult> {
    const cfg = stepConfig(HelmSchema, this.uses, ctx.config);
    const charts = cfg.charts.map((c, i) => {
      if (c.version) return { repository: c.repository, name: c.name, version: c.version };
      const found = findChart(ctx.freight.charts, c.repository, c.name);
      if (!found) {
        throw new Error(
          `charts[${i}]: Freight ${ctx.freight.alias || ctx.freight.metadata.name} has no chart ${c.name} from ` +
            `${c.repository} (it has: ${describeCharts(ctx.freight.charts)}); subscribe the Warehouse to ` +
            `that chart or give charts[${i}].version`,
        );
      }
      return { repository: c.repository, name: c.name, version: found.version };
    });
    record(ctx, cfg.path, 'path', (path) => ({ kind: 'helm-update-chart', path, charts }));
    return {
      status: 'Succeeded',
      outputs: {
        commitMessage: `Updated chart dependencies for ${cfg.path}\n\n${charts.map((c) => `- ${c.name}: ${c.version}`).join('\n')}`,
      },
    };
  },
};

const FileWriteSchema = Type.Object(
  { path: Path, contents: Type.String(), overwrite: Type.Optional(Type.Boolean()) },
  { additionalProperties: false },
);

/** `file-write`: writes a file; an existing one only with `overwrite: true`, as in Kargo. */
export const fileWrite: StepRunner = {
  uses: 'file-write',
  defaultTimeoutMs: 60_000,
  async run(ctx): Promise<StepResult> {
    const cfg = stepConfig(FileWriteSchema, this.uses, ctx.config);
    record(ctx, cfg.path, 'path', (path) => ({
      kind: 'file-write',
      path,
      contents: cfg.contents,
      ...(cfg.overwrite ? { overwrite: true } : {}),
    }));
    return { status: 'Succeeded' };
  },
};

const CopySchema = Type.Object({ inPath: Path, outPath: Path }, { additionalProperties: false });

/**
 * `copy`: copies a file or directory. From another checkout (a commit or tag of the Freight, say)
 * the edit names it in `fromCheckout`; git-writer materialises that checkout when it pushes.
 */
export const copy: StepRunner = {
  uses: 'copy',
  defaultTimeoutMs: 60_000,
  async run(ctx): Promise<StepResult> {
    const cfg = stepConfig(CopySchema, this.uses, ctx.config);
    const from = locate(ctx.workspace, cfg.inPath, 'inPath');
    const to = locate(ctx.workspace, cfg.outPath, 'outPath');
    if (to.checkout.commit || to.checkout.tag) {
      throw new Error(
        `outPath: "${cfg.outPath}" is in the read-only checkout ${to.checkout.path} (a commit or tag); copy into a branch checkout`,
      );
    }
    ctx.workspace.edits.push({
      checkout: to.checkout.path,
      kind: 'copy',
      inPath: from.repoPath,
      outPath: to.repoPath,
      ...(from.checkout.path !== to.checkout.path ? { fromCheckout: from.checkout.path } : {}),
    });
    return { status: 'Succeeded' };
  },
};

const DeleteSchema = Type.Object(
  { path: Path, strict: Type.Optional(Type.Boolean()) },
  { additionalProperties: false },
);

/** `delete`: removes a file or directory; a missing one is fine unless `strict`. */
export const deletePath: StepRunner = {
  uses: 'delete',
  defaultTimeoutMs: 60_000,
  async run(ctx): Promise<StepResult> {
    const cfg = stepConfig(DeleteSchema, this.uses, ctx.config);
    record(ctx, cfg.path, 'path', (path) => ({
      kind: 'delete',
      path,
      ...(cfg.strict ? { strict: true } : {}),
    }));
    return { status: 'Succeeded' };
  },
};

const ClearSchema = Type.Object({ path: Path }, { additionalProperties: false });

/** `git-clear`: removes everything in a checkout (or a directory of it) except `.git`. */
export const gitClear: StepRunner = {
  uses: 'git-clear',
  defaultTimeoutMs: 60_000,
  async run(ctx): Promise<StepResult> {
    const cfg = stepConfig(ClearSchema, this.uses, ctx.config);
    record(ctx, cfg.path, 'path', (path) => ({ kind: 'git-clear', path: path === '.' ? '' : path }));
    return { status: 'Succeeded' };
  },
};
