/**
 * Shell completion: `ferry completion bash|zsh|fish` prints a script that, on each TAB, runs the
 * hidden `ferry __complete WORDS… CURRENT` and offers the words it prints, one per line. The
 * candidates come from the command table (commands, flags read from each usage text), fixed lists
 * (kinds, output formats, roles) and the API (names of Projects, Stages, Warehouses, Freight,
 * Promotions and tokens). `__complete` never fails: on any error it offers what it has.
 */

import { type Context, projectFrom, projectPath } from './context.ts';
import { UsageError } from './errors.ts';
import { KIND_ALIASES, type ResourceKind } from './get.ts';

/** Usage text of `ferry completion`. */
export const COMPLETION_USAGE = `Usage: ferry completion bash|zsh|fish

Prints a script that completes ferry's commands, flags, kinds and, from the API, the names of
Projects, Stages, Warehouses, Freight, Promotions and tokens (the Project from -p, else
$FERRY_PROJECT or "ferry config set-project"). Completion asks the API with the saved server and
token; it stays silent when the API cannot be reached.

Options:
  -h, --help    Show this help

Examples:
  source <(ferry completion bash)                     # bash, this shell; add it to ~/.bashrc to keep it
  ferry completion zsh > "\${fpath[1]}/_ferry"         # zsh, then start a new shell
  ferry completion fish > ~/.config/fish/completions/ferry.fish

Exit codes: 0 printed, 2 no shell or an unknown one.
`;

/** The shells `ferry completion` writes scripts for. */
export const Shell = { Bash: 'bash', Zsh: 'zsh', Fish: 'fish' } as const;
/** One of those shells. */
export type Shell = (typeof Shell)[keyof typeof Shell];

/** What `__complete` prints alone when the shell should complete file names instead. */
export const FILES_DIRECTIVE = ':files';

/** How long `__complete` waits for the API before it offers nothing from it. */
export const COMPLETION_API_TIMEOUT_MS = 2000;

const BASH = `# bash completion for ferry. Load it with: source <(ferry completion bash)
_ferry_complete() {
  local line="\${COMP_LINE:0:COMP_POINT}"
  local -a words
  read -r -a words <<< "$line"
  if [[ -z "$line" || "$line" =~ [[:space:]]$ ]]; then words+=(""); fi
  local cur="\${words[\${#words[@]}-1]}"
  local out
  out="$(ferry __complete "\${words[@]:1}" 2>/dev/null)" || return 0
  if [[ "$out" == "${FILES_DIRECTIVE}" ]]; then
    compopt -o filenames 2>/dev/null
    local IFS=$'\\n'
    COMPREPLY=($(compgen -f -- "$cur"))
    return 0
  fi
  local IFS=$'\\n'
  COMPREPLY=($(compgen -W "$out" -- "$cur"))
  # bash breaks the word being completed at ':' and '='; offer only what follows the last break.
  if [[ "$cur" == *[:=]* ]]; then
    local keep="\${cur##*[:=]}"
    local drop="\${cur%"$keep"}"
    local i
    for i in "\${!COMPREPLY[@]}"; do COMPREPLY[i]="\${COMPREPLY[i]#"$drop"}"; done
  fi
  return 0
}
complete -o default -F _ferry_complete ferry
`;

const ZSH = `#compdef ferry
# zsh completion for ferry. Put it on $fpath as _ferry, or: source <(ferry completion zsh)
_ferry() {
  local out
  out="$(ferry __complete "\${(@)words[2,CURRENT]}" 2>/dev/null)" || return 1
  if [[ "$out" == "${FILES_DIRECTIVE}" ]]; then
    _files
    return
  fi
  local -a candidates
  candidates=("\${(@f)out}")
  compadd -- "\${candidates[@]}"
}
if [[ "\${funcstack[1]}" == "_ferry" ]]; then
  _ferry "$@"
else
  compdef _ferry ferry
fi
`;

const FISH = `# fish completion for ferry. Save it as ~/.config/fish/completions/ferry.fish
function __ferry_complete
    set -l tokens (commandline -opc)
    set -l cur (commandline -ct)
    set -l out (ferry __complete $tokens[2..-1] "$cur" 2>/dev/null)
    if test "$out" = "${FILES_DIRECTIVE}"
        __fish_complete_path "$cur"
        return
    end
    printf '%s\\n' $out
end
complete -c ferry -f -a '(__ferry_complete)'
`;

/** The completion script for a shell. */
export const completionScript = (shell: Shell): string =>
  shell === 'bash' ? BASH : shell === 'zsh' ? ZSH : FISH;

/** Runs `ferry completion SHELL`; returns the exit code. */
export const runCompletion = async (args: string[], ctx: Context): Promise<number> => {
  if (args.includes('-h') || args.includes('--help')) {
    ctx.out(COMPLETION_USAGE);
    return 0;
  }
  const [shell, ...extra] = args;
  if (shell === undefined) throw new UsageError('a shell is required: bash, zsh or fish', COMPLETION_USAGE);
  if (!(Object.values(Shell) as string[]).includes(shell)) {
    throw new UsageError(`unknown shell "${shell}": use bash, zsh or fish`, COMPLETION_USAGE);
  }
  if (extra.length > 0) throw new UsageError(`unexpected argument "${extra[0]}"`, COMPLETION_USAGE);
  ctx.out(completionScript(shell as Shell));
  return 0;
};

/** What completion knows of the CLI: its commands with their usage texts, and its value options. */
export interface CompletionSpec {
  /** Visible commands by name, with their usage text (flags are read from it). */
  commands: Readonly<Record<string, string>>;
  /** Options that take a value, so their values are not taken for the command or its arguments. */
  valueOptions: ReadonlySet<string>;
  /** Options every command takes. */
  globalOptions: readonly string[];
}

/** Words a command takes as its first argument. */
const SUBCOMMANDS: Readonly<Record<string, readonly string[]>> = {
  get: ['projects', 'warehouses', 'stages', 'freight', 'promotions'],
  refresh: ['warehouse'],
  verify: ['stage'],
  abort: ['promotion'],
  create: ['freight'],
  test: ['subscription'],
  config: ['set-project'],
  token: ['create', 'list', 'delete'],
  completion: ['bash', 'zsh', 'fish'],
};

/** The kind whose names a command's second argument is (`refresh warehouse NAME`). */
const NAMED_BY: Readonly<Record<string, ResourceKind>> = {
  'refresh warehouse': 'warehouses',
  'verify stage': 'stages',
  'abort promotion': 'promotions',
};

const OUTPUT_FORMATS = ['table', 'wide', 'json', 'yaml', 'name', 'text', 'jsonpath=', 'jsonpath-file='];

/** The flags in a usage text: every `--long` and `-x` it mentions, in order, once. */
export const flagsOf = (usage: string): string[] => {
  const seen = new Set<string>();
  for (const m of usage.matchAll(/(?<![\w-])(--[a-z][a-z0-9-]*|-[a-zA-Z])(?![\w-])/g)) seen.add(m[1]!);
  return [...seen];
};

/**
 * The candidates for the last of `words` (the word being typed, maybe empty), given the words
 * before it. `names(kind, project)` lists names from the API. Pure apart from that lookup.
 */
export const completeWords = async (
  words: readonly string[],
  spec: CompletionSpec,
  names: (kind: ResourceKind | 'tokens' | 'aliases', project: string | undefined) => Promise<string[]>,
  defaultProject: string | undefined,
): Promise<string[]> => {
  const cur = words.at(-1) ?? '';
  const prior = words.slice(0, -1);
  let command: string | undefined;
  let project = defaultProject;
  const positionals: string[] = [];
  let pending: string | undefined;
  for (let i = 0; i < prior.length; i++) {
    const t = prior[i]!;
    if (spec.valueOptions.has(t)) {
      if (i + 1 === prior.length) pending = t;
      else if (t === '-p' || t === '--project') project = prior[i + 1];
      i++;
      continue;
    }
    if (t.startsWith('--project=')) project = t.slice('--project='.length);
    if (t.startsWith('-')) continue;
    if (command === undefined) command = t;
    else positionals.push(t);
  }
  const match = (list: readonly string[]) => list.filter((w) => w.startsWith(cur));
  if (pending !== undefined) {
    switch (pending) {
      case '-o':
      case '--output':
        return match(OUTPUT_FORMATS);
      case '-p':
      case '--project':
        return match(await names('projects', undefined));
      case '--stage':
      case '--downstream-from':
        return match(await names('stages', project));
      case '--warehouse':
        return match(await names('warehouses', project));
      case '--freight':
        return match(await names('freight', project));
      case '--freight-alias':
        return match(await names('aliases', project));
      case '--abort':
        return match(await names('promotions', project));
      case '--role': {
        const projects = await names('projects', undefined);
        const roles = projects.flatMap((p) =>
          ['viewer', 'promoter', 'admin'].map((r) => `project:${p}:${r}`),
        );
        return match(['system:admin', ...roles]);
      }
      case '-f':
      case '--filename':
        return [FILES_DIRECTIVE];
      default:
        return [];
    }
  }
  if (command === undefined) {
    return cur.startsWith('-') ? match(spec.globalOptions) : match(Object.keys(spec.commands));
  }
  const usage = spec.commands[command];
  if (usage === undefined && command !== 'help') return [];
  if (cur.startsWith('-')) return match([...flagsOf(usage ?? ''), ...spec.globalOptions].filter(unique));
  if (command === 'help') return positionals.length === 0 ? match(Object.keys(spec.commands)) : [];
  if (positionals.length === 0) return match(SUBCOMMANDS[command] ?? []);
  if (positionals.length !== 1) return [];
  const first = positionals[0]!;
  if (command === 'get') {
    const kind = KIND_ALIASES[first.toLowerCase()];
    return kind === undefined ? [] : match(await names(kind, kind === 'projects' ? undefined : project));
  }
  if (command === 'config' && first === 'set-project') return match(await names('projects', undefined));
  if (command === 'token' && first === 'delete') return match(await names('tokens', undefined));
  const kind = NAMED_BY[`${command} ${first}`];
  return kind === undefined ? [] : match(await names(kind, project));
};

const unique = (v: string, i: number, all: readonly string[]) => all.indexOf(v) === i;

/**
 * Runs the hidden `ferry __complete WORDS…`: prints the candidates, one per line, and exits 0 even
 * when the API fails or is slow (then only the candidates that need no API are printed).
 */
export const runComplete = async (args: string[], ctx: Context, spec: CompletionSpec): Promise<number> => {
  const names = async (kind: ResourceKind | 'tokens' | 'aliases', project: string | undefined) => {
    let path: string;
    if (kind === 'projects') path = '/api/v1/projects';
    else if (kind === 'tokens') path = '/api/v1/tokens';
    else if (project === undefined) return [];
    else path = projectPath(project, kind === 'aliases' ? 'freight' : kind);
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<undefined>((resolve) => {
      timer = setTimeout(() => resolve(undefined), COMPLETION_API_TIMEOUT_MS);
    });
    try {
      const answer = await Promise.race([ctx.client.get(path).catch(() => undefined), timeout]);
      const items = (answer?.body as { items?: unknown[] } | undefined)?.items ?? [];
      return items
        .map((item) => {
          const i = item as { name?: unknown; alias?: unknown; metadata?: { name?: unknown } };
          const v = kind === 'tokens' ? i.name : kind === 'aliases' ? i.alias : i.metadata?.name;
          return typeof v === 'string' ? v : '';
        })
        .filter((v) => v !== '');
    } finally {
      clearTimeout(timer);
    }
  };
  try {
    const words = await completeWords(
      args.length === 0 ? [''] : args,
      spec,
      names,
      projectFrom(undefined, ctx.env),
    );
    for (const w of words) ctx.out(`${w}\n`);
  } catch {
    // Completion must never print an error into the user's command line.
  }
  return 0;
};
