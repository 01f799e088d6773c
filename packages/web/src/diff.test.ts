import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseUnifiedDiff } from './diff.ts';

// `git diff --cached --no-color` of a delete, an add, and an edit whose removed line starts `--`.
const GIT_DIFF = `diff --git a/gone.txt b/gone.txt
deleted file mode 100644
index 3367afd..0000000
--- a/gone.txt
+++ /dev/null
@@ -1 +0,0 @@
-old
diff --git a/n.txt b/n.txt
new file mode 100644
index 0000000..3e75765
--- /dev/null
+++ b/n.txt
@@ -0,0 +1 @@
+new
diff --git a/v.yaml b/v.yaml
index 8746cbb..569c740 100644
--- a/v.yaml
+++ b/v.yaml
@@ -1,3 +1,2 @@
 a: 1
-b: 2
--- x
+b: 3
`;

test('parseUnifiedDiff splits git output into files with numbered, classified lines', () => {
  const files = parseUnifiedDiff(GIT_DIFF);
  assert.deepEqual(
    files.map((f) => [f.path, f.change, f.added, f.removed]),
    [
      ['gone.txt', 'deleted', 0, 1],
      ['n.txt', 'added', 1, 0],
      ['v.yaml', 'modified', 1, 2],
    ],
  );
  assert.deepEqual(files[2]!.lines, [
    { kind: 'hunk', text: '@@ -1,3 +1,2 @@' },
    { kind: 'context', text: 'a: 1', oldNo: 1, newNo: 1 },
    { kind: 'del', text: 'b: 2', oldNo: 2 },
    { kind: 'del', text: '-- x', oldNo: 3 },
    { kind: 'add', text: 'b: 3', newNo: 2 },
  ]);
});

test('parseUnifiedDiff reads renames, binary files, no-newline notes and header-less diffs', () => {
  const renamed = parseUnifiedDiff(`diff --git a/old.yaml b/new.yaml
similarity index 90%
rename from old.yaml
rename to new.yaml
index 1..2 100644
--- a/old.yaml
+++ b/new.yaml
@@ -1 +1 @@
-x: 1
\\ No newline at end of file
+x: 2
\\ No newline at end of file
diff --git a/logo.png b/logo.png
index 1..2 100644
Binary files a/logo.png and b/logo.png differ
`);
  assert.deepEqual(
    renamed.map((f) => [f.path, f.change, f.renamedFrom, f.binary, f.lines.length]),
    [
      ['new.yaml', 'renamed', 'old.yaml', false, 5],
      ['logo.png', 'modified', undefined, true, 0],
    ],
  );
  assert.equal(renamed[0]!.lines[2]!.kind, 'note');

  const plain = parseUnifiedDiff(`--- a/one.yaml
+++ b/one.yaml
@@ -2,2 +2,2 @@ spec:
   replicas: 1
-  image: app:1.0.0
+  image: app:1.1.0
--- a/two.yaml
+++ b/two.yaml
@@ -1 +1 @@
-tag: 1.0.0
+tag: 1.1.0
`);
  assert.deepEqual(
    plain.map((f) => [f.path, f.added, f.removed]),
    [
      ['one.yaml', 1, 1],
      ['two.yaml', 1, 1],
    ],
  );
  assert.deepEqual(plain[0]!.lines[2], { kind: 'del', text: '  image: app:1.0.0', oldNo: 3 });
});

test('parseUnifiedDiff gives no files for an empty diff and ignores text before the first file', () => {
  assert.deepEqual(parseUnifiedDiff(''), []);
  assert.deepEqual(parseUnifiedDiff('promote calm-otter to dev\n\nno changes\n'), []);
});
