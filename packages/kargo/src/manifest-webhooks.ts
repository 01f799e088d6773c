import { DNS1123_SUBDOMAIN, WebhookProvider, type WebhookReceiverConfig } from '@ferry/contracts';
import { type Ctx, fields, isMap, listAt, mapAt, type Path, pointer, strAt } from './read.ts';

/** The settings each provider block may have besides `secretRef`. */
const EXTRA_FIELDS: Readonly<Record<string, string>> = {
  generic: 'signatureHeader',
  artifactory: 'virtualRepoName',
};

/** An Artifactory repository key: letters, digits, `-`, `_` and `.`. */
const REPO_KEY = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;

/** An HTTP header name (RFC 9110 token). */
const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;

/**
 * Parses `ProjectConfig.spec.webhookReceivers`: each entry has a `name` (unique, a DNS subdomain) and
 * exactly one provider block with `secretRef.name` (Kargo's ten, the generic receiver's `actions`
 * aside, and Ferry's `distribution`), and Artifactory's `virtualRepoName`.
 */
export function parseWebhookReceivers(ctx: Ctx, v: unknown, path: Path): WebhookReceiverConfig[] {
  const out: WebhookReceiverConfig[] = [];
  const seen = new Map<string, number>();
  const known = Object.keys(WebhookProvider);
  listAt(ctx, v, path).forEach((item, i) => {
    const at = [...path, i];
    if (!isMap(item)) {
      ctx.problem(at, 'must be a mapping with name and one provider block');
      return;
    }
    fields(ctx, item, at, `name ${known.join(' ')}`);
    const name = strAt(ctx, item.name, [...at, 'name'], 'the name of the webhook receiver') ?? '';
    if (name && (!DNS1123_SUBDOMAIN.test(name) || name.length > 253)) {
      ctx.problem(
        [...at, 'name'],
        'must be at most 253 lowercase letters, digits, "-" or ".", starting and ending with a letter or digit',
      );
    }
    if (name && seen.has(name)) {
      ctx.problem([...at, 'name'], `receiver name already defined at ${pointer([...path, seen.get(name)!])}`);
    } else if (name) seen.set(name, i);
    const blocks = known.filter((k) => item[k] !== undefined && item[k] !== null);
    if (blocks.length !== 1) {
      ctx.problem(
        at,
        blocks.length === 0
          ? `give one provider block: ${known.join(', ')}`
          : `give only one provider block, not ${blocks.join(' and ')}`,
      );
      return;
    }
    const provider = blocks[0] as string;
    const bpath = [...at, provider];
    const block = mapAt(ctx, item[provider], bpath) ?? {};
    fields(ctx, block, bpath, `secretRef ${EXTRA_FIELDS[provider] ?? ''}`.trim(), {
      ...(provider === 'generic'
        ? {
            actions: {
              warn: 'is ignored by Ferry: it refreshes Warehouses whose image matches the body\'s "repoURL"',
            },
          }
        : {}),
    });
    const ref = mapAt(ctx, block.secretRef, [...bpath, 'secretRef'], 'the Secret holding the shared secret');
    if (ref) fields(ctx, ref, [...bpath, 'secretRef'], 'name');
    const secret =
      (ref && strAt(ctx, ref.name, [...bpath, 'secretRef', 'name'], 'the name of the Secret')) ?? '';
    if (secret && !DNS1123_SUBDOMAIN.test(secret)) {
      ctx.problem([...bpath, 'secretRef', 'name'], 'must be a Secret name');
    }
    const header = strAt(ctx, block.signatureHeader, [...bpath, 'signatureHeader']);
    if (header !== undefined && !HEADER_NAME.test(header)) {
      ctx.problem([...bpath, 'signatureHeader'], 'must be an HTTP header name');
    }
    const virtualRepo =
      provider === 'artifactory'
        ? strAt(ctx, block.virtualRepoName, [...bpath, 'virtualRepoName'])
        : undefined;
    if (virtualRepo !== undefined && !REPO_KEY.test(virtualRepo)) {
      ctx.problem(
        [...bpath, 'virtualRepoName'],
        'must be an Artifactory repository key (letters, digits, "-", "_" or ".")',
      );
    }
    out.push({
      name,
      [provider]: {
        secretRef: { name: secret },
        ...(header ? { signatureHeader: header } : {}),
        ...(virtualRepo ? { virtualRepoName: virtualRepo } : {}),
      },
    });
  });
  return out;
}
