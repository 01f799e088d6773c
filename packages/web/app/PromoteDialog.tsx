/**
 * The promote confirmation: before anything is promoted it asks the api for a dry run
 * (`POST .../promotions/dry-run`) and shows what each step would do, the diff each git push would
 * carry and the plan's warnings. "Promote" then makes the real Promotion. A dry run that fails
 * is shown, but does not stop a promote the user still wants.
 */
import type { Freight, PlannedStep, PromotionPlan } from '@ferry/contracts';
import { useEffect, useState } from 'preact/hooks';
import { type DiffFile, parseUnifiedDiff } from '../src/diff.ts';
import { freightTag } from '../src/model.ts';
import { ApiError, postJSON } from './api.ts';

/** Where the dry run is: asked, answered, or failed with the api's message. */
type DryRun =
  | { state: 'loading' }
  | { state: 'ok'; plan: PromotionPlan }
  | { state: 'error'; message: string };

/** The tone of a plan step's badge, by what the dry run did with it. */
const ACTION_TONE: Record<PlannedStep['action'], string> = {
  diff: 'running',
  planned: 'ok',
  'would-run': 'waiting',
  skipped: 'neutral',
  error: 'bad',
};

/** Files of a diff shown unfolded at first; more than this and every file starts folded. */
const OPEN_FILES = 4;

/** The promote confirmation for `freight` going to `stage`. */
export function PromoteDialog(props: {
  /** Base path of the Project's resources (`/api/v1/projects/<project>`). */
  base: string;
  stage: string;
  freightId: string;
  /** The Freight, when the page has it (for its alias and tag). */
  freight: Freight | undefined;
  /** Why the caller may not promote (the role it lacks); absent when it may. */
  denied: string | undefined;
  /** Makes the real Promotion; the dialog closes once it is asked for. */
  onConfirm: () => void;
  onClose: () => void;
}) {
  const [run, setRun] = useState<DryRun>({ state: 'loading' });
  useEffect(() => {
    let live = true;
    setRun({ state: 'loading' });
    postJSON<PromotionPlan>(`${props.base}/promotions/dry-run`, {
      stage: props.stage,
      freight: props.freightId,
    })
      .then((plan) => live && setRun({ state: 'ok', plan }))
      .catch(
        (err: unknown) =>
          live && setRun({ state: 'error', message: err instanceof ApiError ? err.message : String(err) }),
      );
    return () => {
      live = false;
    };
  }, [props.base, props.stage, props.freightId]);
  useEffect(() => {
    const on = (e: KeyboardEvent) => e.key === 'Escape' && props.onClose();
    addEventListener('keydown', on);
    return () => removeEventListener('keydown', on);
  }, [props.onClose]);

  const f = props.freight;
  const label = f ? `${f.alias} (${freightTag(f)})` : props.freightId.slice(0, 7);
  return (
    // biome-ignore lint/a11y/noStaticElementInteractions: a click on the backdrop cancels, as Escape does
    // biome-ignore lint/a11y/useKeyWithClickEvents: Escape (handled above) is the keyboard way out
    <div class="backdrop" onClick={(e) => e.target === e.currentTarget && props.onClose()}>
      <div class="dialog" role="dialog" aria-modal="true" aria-label="Promote" data-promote-dialog>
        <div class="dialog-head">
          <h2>
            Promote <span class="alias">{label}</span> to <span class="alias">{props.stage}</span>
          </h2>
        </div>
        <div class="dialog-body">
          <h3>Dry run</h3>
          {run.state === 'loading' && (
            <p class="muted" data-dry-run="loading">
              <span class="spinner" /> Planning the Promotion; nothing is changed…
            </p>
          )}
          {run.state === 'error' && (
            <div class="banner bad" data-dry-run="error">
              The dry run failed: {run.message}. You can still promote: the Promotion runs its steps for real
              and reports any step that fails.
            </div>
          )}
          {run.state === 'ok' && <Plan plan={run.plan} />}
        </div>
        <div class="dialog-foot">
          <button type="button" class="link" onClick={props.onClose}>
            Cancel
          </button>
          <span title={props.denied ?? ''}>
            <button
              type="button"
              class="primary"
              data-confirm
              disabled={props.denied !== undefined}
              onClick={props.onConfirm}
            >
              {run.state === 'loading' ? 'Promote without waiting' : 'Promote'}
            </button>
          </span>
        </div>
      </div>
    </div>
  );
}

/** A dry run's answer: its warnings, then each step with its action, message and diff. */
function Plan({ plan }: { plan: PromotionPlan }) {
  return (
    <div data-dry-run="ok">
      {plan.warnings.length > 0 && (
        <ul class="warnings" data-warnings>
          {plan.warnings.map((w) => (
            <li key={w}>{w}</li>
          ))}
        </ul>
      )}
      {plan.steps.length === 0 && <p class="muted">The Stage has no promotion steps.</p>}
      <ol class="plan-steps">
        {plan.steps.map((s) => (
          <li key={s.index} data-step={s.alias}>
            <div class="row">
              <span class={`badge small ${ACTION_TONE[s.action]}`} data-action={s.action}>
                {s.action}
              </span>
              <span class="mono">{s.uses}</span>
              {s.alias !== `step-${s.index}` && <span class="muted small">as {s.alias}</span>}
            </div>
            {s.message && <p class="message">{s.message}</p>}
            {s.error && <p class="error">{s.error}</p>}
            {s.diff && (
              <div class="plan-diff">
                <div class="muted small mono">
                  {s.diff.repoURL} → {s.diff.branch}
                  {s.diff.base ? ` (on ${s.diff.base.slice(0, 7)})` : ''}
                </div>
                {s.diff.changed ? (
                  <DiffView diff={s.diff.diff} />
                ) : (
                  <p class="muted small">No change: the push would make no commit.</p>
                )}
              </div>
            )}
          </li>
        ))}
      </ol>
    </div>
  );
}

/** A unified diff, one foldable block per file, added lines green and removed lines red. */
export function DiffView({ diff }: { diff: string }) {
  const files = parseUnifiedDiff(diff);
  if (files.length === 0) return <pre class="diff">{diff}</pre>;
  return (
    <div class="diff-files">
      {files.map((file) => (
        <FileDiff key={file.path} file={file} open={files.length <= OPEN_FILES} />
      ))}
    </div>
  );
}

function FileDiff({ file, open }: { file: DiffFile; open: boolean }) {
  return (
    <details class="diff-file" open={open} data-diff-file={file.path}>
      <summary>
        <span class="mono">{file.renamedFrom ? `${file.renamedFrom} → ${file.path}` : file.path}</span>
        {file.change !== 'modified' && <span class="muted small"> {file.change}</span>}
        <span class="count add">+{file.added}</span>
        <span class="count del">−{file.removed}</span>
      </summary>
      {file.binary ? (
        <p class="muted small">binary file</p>
      ) : (
        <pre class="diff">
          {file.lines.map((l, i) => (
            <div key={i} class={`dl ${l.kind}`}>
              <span class="ln">{l.oldNo ?? ''}</span>
              <span class="ln">{l.newNo ?? ''}</span>
              <span class="tx">
                {l.kind === 'add' ? '+' : l.kind === 'del' ? '-' : l.kind === 'context' ? ' ' : ''}
                {l.text}
              </span>
            </div>
          ))}
        </pre>
      )}
    </details>
  );
}
