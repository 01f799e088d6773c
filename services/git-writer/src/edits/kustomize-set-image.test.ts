import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { type ImageUpdate, setKustomizeImages } from './kustomize-set-image.ts';

const APP = '127.0.0.1:5000/demo/app';

/** A kustomization as people write them: comments everywhere, odd spacing, indented lists. */
const FIXTURE = `# dev overlay: owned by the platform team
apiVersion: kustomize.config.k8s.io/v1beta1
kind: Kustomization   # aligned comment
resources:
  - ../../base
images:
  # the app itself
  - name: ${APP}
    newTag: "1.1.0" # promoted by ferry

  # the proxy, pinned by digest
  - name: nginx
    newName: mirror/nginx
    digest: sha256:aaaa   # pinned
namePrefix: dev-
# end of file
`;

interface Case {
  name: string;
  text: string;
  images: ImageUpdate[];
  file?: string;
  want: string;
  changed: boolean;
  summary: string;
}

const cases: Case[] = [
  {
    name: 'sets newTag, keeping every comment, blank line and spacing',
    text: FIXTURE,
    images: [{ name: APP, newTag: '1.2.0' }],
    file: 'apps/dev/kustomization.yaml',
    want: FIXTURE.replace('newTag: "1.1.0" # promoted', 'newTag: "1.2.0" # promoted'),
    changed: true,
    summary: `updated apps/dev/kustomization.yaml to use image ${APP}:1.2.0`,
  },
  {
    name: 'an image already at the tag changes nothing',
    text: FIXTURE,
    images: [{ name: APP, newTag: '1.1.0' }],
    file: 'apps/dev/kustomization.yaml',
    want: FIXTURE,
    changed: false,
    summary: `apps/dev/kustomization.yaml already uses image ${APP}:1.1.0`,
  },
  {
    name: 'a tag replaces a digest',
    text: FIXTURE,
    images: [{ name: 'nginx', newTag: '1.25' }],
    want: FIXTURE.replace('    digest: sha256:aaaa   # pinned\n', '    newTag: "1.25"\n'),
    changed: true,
    summary: 'updated kustomization.yaml to use image mirror/nginx:1.25',
  },
  {
    name: 'a digest replaces a tag',
    text: FIXTURE,
    images: [{ name: APP, digest: 'sha256:bbbb' }],
    want: FIXTURE.replace('    newTag: "1.1.0" # promoted by ferry\n', '    digest: sha256:bbbb\n'),
    changed: true,
    summary: `updated kustomization.yaml to use image ${APP}@sha256:bbbb`,
  },
  {
    name: 'newName is set beside the tag; a quoted value keeps its quotes',
    text: "images:\n- name: app\n  newName: 'old/app'\n  newTag: '1'\n",
    images: [{ name: 'app', newName: 'new/app', newTag: '2' }],
    want: "images:\n- name: app\n  newName: 'new/app'\n  newTag: '2'\n",
    changed: true,
    summary: 'updated kustomization.yaml to use image new/app:2',
  },
  {
    name: 'a field on the dash line is removed by pulling the next key up',
    text: 'images:\n- digest: sha256:aaaa\n  name: app # the app\n',
    images: [{ name: 'app', newTag: 'v2' }],
    want: 'images:\n- name: app # the app\n  newTag: v2\n',
    changed: true,
    summary: 'updated kustomization.yaml to use image app:v2',
  },
  {
    name: 'an unknown image is added at the end of the list, in the list’s indentation',
    text: FIXTURE,
    images: [{ name: 'redis', newName: 'mirror/redis', newTag: '7.2' }],
    want: FIXTURE.replace(
      '    digest: sha256:aaaa   # pinned\n',
      '    digest: sha256:aaaa   # pinned\n  - name: redis\n    newName: mirror/redis\n    newTag: "7.2"\n',
    ),
    changed: true,
    summary: 'updated kustomization.yaml to use image mirror/redis:7.2',
  },
  {
    name: 'several images at once; only the changed ones are named',
    text: FIXTURE,
    images: [
      { name: APP, newTag: '1.1.0' },
      { name: 'nginx', digest: 'sha256:cccc' },
      { name: 'busybox', newTag: '1.36' },
    ],
    want: FIXTURE.replace('digest: sha256:aaaa', 'digest: sha256:cccc').replace(
      '# pinned\n',
      '# pinned\n  - name: busybox\n    newTag: "1.36"\n',
    ),
    changed: true,
    summary: 'updated kustomization.yaml to use images mirror/nginx@sha256:cccc, busybox:1.36',
  },
  {
    name: 'the images key is created after the last key, before trailing comments',
    text: '# base\nkind: Kustomization\nresources:\n- deploy.yaml # the app\n# end\n',
    images: [{ name: 'app', newTag: '1.0.0' }],
    want: '# base\nkind: Kustomization\nresources:\n- deploy.yaml # the app\nimages:\n- name: app\n  newTag: 1.0.0\n# end\n',
    changed: true,
    summary: 'updated kustomization.yaml to use image app:1.0.0',
  },
  {
    name: 'a created list follows the file’s list indentation',
    text: 'resources:\n    - deploy.yaml\n',
    images: [{ name: 'app', newTag: 'v1' }],
    want: 'resources:\n    - deploy.yaml\nimages:\n    - name: app\n      newTag: v1\n',
    changed: true,
    summary: 'updated kustomization.yaml to use image app:v1',
  },
  {
    name: 'an empty images key gets a list',
    text: 'kind: Kustomization\nimages:\nnamePrefix: dev-\n',
    images: [{ name: 'app', newTag: 'v1' }],
    want: 'kind: Kustomization\nimages:\n- name: app\n  newTag: v1\nnamePrefix: dev-\n',
    changed: true,
    summary: 'updated kustomization.yaml to use image app:v1',
  },
  {
    name: 'an empty flow list becomes a block list',
    text: 'images: []\n',
    images: [{ name: 'app', newTag: 'v1' }],
    want: 'images:\n- name: app\n  newTag: v1\n',
    changed: true,
    summary: 'updated kustomization.yaml to use image app:v1',
  },
  {
    name: 'an empty file becomes a kustomization with images',
    text: '',
    images: [{ name: 'app', digest: 'sha256:dddd' }],
    want: 'images:\n- name: app\n  digest: sha256:dddd\n',
    changed: true,
    summary: 'updated kustomization.yaml to use image app@sha256:dddd',
  },
  {
    name: 'a file without a final newline',
    text: 'images:\n- name: app\n  newTag: v1',
    images: [{ name: 'app', newTag: 'v2' }],
    want: 'images:\n- name: app\n  newTag: v2\n',
    changed: true,
    summary: 'updated kustomization.yaml to use image app:v2',
  },
  {
    name: 'a file without a final newline and nothing to change stays as it is',
    text: 'images:\n- name: app\n  newTag: v1',
    images: [{ name: 'app', newTag: 'v1' }],
    want: 'images:\n- name: app\n  newTag: v1',
    changed: false,
    summary: 'kustomization.yaml already uses image app:v1',
  },
  {
    name: 'CRLF line endings are kept',
    text: 'images:\r\n- name: app\r\n  newTag: v1\r\n',
    images: [{ name: 'app', newName: 'x/app' }],
    want: 'images:\r\n- name: app\r\n  newTag: v1\r\n  newName: x/app\r\n',
    changed: true,
    summary: 'updated kustomization.yaml to use image x/app:v1',
  },
  {
    name: 'a flow-style entry keeps its spelling when only a value changes',
    text: 'images:\n- {name: app, newTag: v1} # flow\n',
    images: [{ name: 'app', newTag: 'v2' }],
    want: 'images:\n- {name: app, newTag: v2} # flow\n',
    changed: true,
    summary: 'updated kustomization.yaml to use image app:v2',
  },
  {
    name: 'a flow-style entry that gains a field is rewritten in flow style',
    text: 'images:\n- {name: app, newTag: v1} # flow\n',
    images: [{ name: 'app', newName: 'mirror/app', newTag: 'v2' }],
    want: 'images:\n- { name: app, newTag: v2, newName: mirror/app } # flow\n',
    changed: true,
    summary: 'updated kustomization.yaml to use image mirror/app:v2',
  },
  {
    name: 'a numeric-looking tag is quoted so it stays a string',
    text: 'images:\n- name: app\n  newTag: v1\n',
    images: [{ name: 'app', newTag: '1.10' }],
    want: 'images:\n- name: app\n  newTag: "1.10"\n',
    changed: true,
    summary: 'updated kustomization.yaml to use image app:1.10',
  },
  {
    name: 'the summary names the file the caller found (kustomization.yml)',
    text: 'images:\n- name: app\n  newTag: v1\n',
    images: [{ name: 'app', newTag: 'v2' }],
    file: 'apps/prod/kustomization.yml',
    want: 'images:\n- name: app\n  newTag: v2\n',
    changed: true,
    summary: 'updated apps/prod/kustomization.yml to use image app:v2',
  },
];

describe('setKustomizeImages', () => {
  for (const c of cases) {
    test(c.name, () => {
      const got = setKustomizeImages(c.text, c.images, c.file);
      assert.equal(got.text, c.want);
      assert.equal(got.changed, c.changed);
      assert.equal(got.summary, c.summary);
    });
  }

  const errors: Array<{ name: string; text: string; images: ImageUpdate[]; message: string }> = [
    {
      name: 'top level is a list',
      text: '- name: app\n',
      images: [{ name: 'app', newTag: 'v1' }],
      message: 'apps/dev/kustomization.yaml is not a kustomization: its top level is not a mapping',
    },
    {
      name: 'top level is a string',
      text: 'hello\n',
      images: [{ name: 'app', newTag: 'v1' }],
      message: 'apps/dev/kustomization.yaml is not a kustomization: its top level is not a mapping',
    },
    {
      name: 'images is a mapping',
      text: 'images:\n  app: v1\n',
      images: [{ name: 'app', newTag: 'v1' }],
      message: 'apps/dev/kustomization.yaml: "images" is not a list',
    },
    {
      name: 'an images entry is a string',
      text: 'images:\n- app:v1\n',
      images: [{ name: 'app', newTag: 'v1' }],
      message: 'apps/dev/kustomization.yaml: images[0] is not a mapping',
    },
    {
      name: 'invalid YAML',
      text: 'images: [\n',
      images: [{ name: 'app', newTag: 'v1' }],
      message: /^apps\/dev\/kustomization\.yaml is not valid YAML: /,
    } as never,
    {
      name: 'tag and digest together',
      text: 'images: []\n',
      images: [{ name: 'app', newTag: 'v1', digest: 'sha256:aaaa' }],
      message: 'image "app": newTag and digest are mutually exclusive; give one',
    },
    {
      name: 'nothing to set',
      text: 'images: []\n',
      images: [{ name: 'app' }],
      message: 'image "app": nothing to set; give newName, newTag or digest',
    },
  ];
  for (const e of errors) {
    test(`error: ${e.name}`, () => {
      assert.throws(() => setKustomizeImages(e.text, e.images, 'apps/dev/kustomization.yaml'), {
        name: 'KustomizeEditError',
        message: e.message,
      });
    });
  }
});
