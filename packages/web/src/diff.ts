/**
 * Reading the unified diffs of a Promotion dry run (`git diff` output, no colour) into files and
 * lines the promote dialog can colour and fold. Pure, so it is tested under Node.
 */

/** What a line of a unified diff is. */
export const DiffLineKind = {
  /** A `@@ -a,b +c,d @@` hunk header. */
  hunk: 'hunk',
  /** A line the change adds (`+`). */
  add: 'add',
  /** A line the change removes (`-`). */
  del: 'del',
  /** An unchanged line around the change (` `). */
  context: 'context',
  /** `\ No newline at end of file` and other notes git puts between lines. */
  note: 'note',
} as const;
/** One of {@link DiffLineKind}. */
export type DiffLineKind = (typeof DiffLineKind)[keyof typeof DiffLineKind];

/** One line of a file's diff, without its `+`/`-`/` ` marker. */
export interface DiffLine {
  kind: DiffLineKind;
  text: string;
  /** The line's number in the old file; absent for added lines, hunk headers and notes. */
  oldNo?: number;
  /** The line's number in the new file; absent for removed lines, hunk headers and notes. */
  newNo?: number;
}

/** The diff of one file. */
export interface DiffFile {
  /** The file's path after the change (before it, for a deleted file). */
  path: string;
  /** The path before the change when the file was renamed; absent otherwise. */
  renamedFrom?: string;
  /** What happened to the file as a whole. */
  change: 'modified' | 'added' | 'deleted' | 'renamed';
  /** Lines added and removed. */
  added: number;
  removed: number;
  /** Set for a binary file: git shows no lines for it. */
  binary: boolean;
  /** The hunks' lines, in order, hunk headers included. */
  lines: DiffLine[];
}

/** Strips git's `a/` or `b/` prefix from a path in a `---`/`+++` line; `/dev/null` stays as is. */
const stripPrefix = (p: string): string => {
  const path = p.split('\t')[0]!.trim();
  return path === '/dev/null' ? path : path.replace(/^[ab]\//, '');
};

/**
 * Splits a unified diff into files (one per `diff --git` header, or per `---`/`+++` pair when the
 * text has no git headers). Hunk line counts decide where a hunk ends, so a removed line that
 * itself starts with `--` is not taken for a header. Text before the first file, such as a commit
 * message, is ignored. An empty diff gives no files.
 */
export function parseUnifiedDiff(text: string): DiffFile[] {
  const files: DiffFile[] = [];
  let file: DiffFile | undefined;
  let oldNo = 0;
  let newNo = 0;
  // Lines still to come in the current hunk, from its header's counts.
  let oldLeft = 0;
  let newLeft = 0;
  // True once the current file has its ---/+++ pair or a hunk: a further pair starts a new file.
  let headed = false;
  const start = (path: string) => {
    file = { path, change: 'modified', added: 0, removed: 0, binary: false, lines: [] };
    files.push(file);
    headed = false;
  };
  const lines = text.split('\n');
  // A diff ends with a newline: the empty string after it is not a context line.
  if (lines.at(-1) === '') lines.pop();
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    const inHunk = oldLeft > 0 || newLeft > 0;
    if (file && inHunk) {
      const mark = line[0];
      const body = line.slice(1);
      if (mark === '+') {
        file.lines.push({ kind: 'add', text: body, newNo: newNo++ });
        file.added++;
        newLeft--;
      } else if (mark === '-') {
        file.lines.push({ kind: 'del', text: body, oldNo: oldNo++ });
        file.removed++;
        oldLeft--;
      } else if (mark === '\\') {
        file.lines.push({ kind: 'note', text: line });
      } else {
        // A context line (an empty one had its leading space trimmed somewhere on the way).
        file.lines.push({ kind: 'context', text: body, oldNo: oldNo++, newNo: newNo++ });
        oldLeft--;
        newLeft--;
      }
      continue;
    }
    if (line.startsWith('\\') && file) {
      file.lines.push({ kind: 'note', text: line });
      continue;
    }
    if (line.startsWith('diff --git ')) {
      const m = / b\/(.+)$/.exec(line);
      start(m ? m[1]! : line.slice('diff --git '.length));
      continue;
    }
    if (line.startsWith('--- ') && lines[i + 1]?.startsWith('+++ ')) {
      const from = stripPrefix(line.slice(4));
      const to = stripPrefix(lines[i + 1]!.slice(4));
      if (!file || headed) start(to === '/dev/null' ? from : to);
      const f = file!;
      if (from === '/dev/null') f.change = 'added';
      else if (to === '/dev/null') {
        f.change = 'deleted';
        f.path = from;
      } else if (f.change !== 'renamed') f.path = to;
      headed = true;
      i++;
      continue;
    }
    if (!file) continue;
    const hunk = /^@@ -(\d+)(?:,(\d+))? \+(\d+)(?:,(\d+))? @@/.exec(line);
    if (hunk) {
      oldNo = Number(hunk[1]);
      oldLeft = hunk[2] === undefined ? 1 : Number(hunk[2]);
      newNo = Number(hunk[3]);
      newLeft = hunk[4] === undefined ? 1 : Number(hunk[4]);
      headed = true;
      file.lines.push({ kind: 'hunk', text: line });
      continue;
    }
    // Extended headers between `diff --git` and the first hunk.
    if (line.startsWith('new file mode')) file.change = 'added';
    else if (line.startsWith('deleted file mode')) file.change = 'deleted';
    else if (line.startsWith('rename from ')) {
      file.change = 'renamed';
      file.renamedFrom = line.slice('rename from '.length);
    } else if (line.startsWith('rename to ')) file.path = line.slice('rename to '.length);
    else if (line.startsWith('Binary files ')) file.binary = true;
  }
  return files;
}
