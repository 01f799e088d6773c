/**
 * Patterns as Kargo reads them: Go (RE2) regular expressions for tag filters and `regex:` Stage
 * selectors, doublestar globs for `glob:` selectors.
 */

/**
 * Compiles a Go regular expression as a JavaScript RegExp with the same meaning for the syntax
 * Kargo users write: a leading `(?i)`/`(?s)`/`(?m)` becomes a flag, `(?P<name>` a named group.
 * Lookaround is refused because Go does not have it, so Kargo would reject the manifest.
 * Throws a SyntaxError on an invalid expression.
 */
export function goRegExp(source: string): RegExp {
  let src = source;
  let flags = '';
  const lead = /^\(\?([imsU]+)\)/.exec(src);
  if (lead) {
    if (lead[1]!.includes('U')) throw new SyntaxError('the U (ungreedy) flag is not supported by Ferry');
    flags = [...new Set(lead[1])].join('');
    src = src.slice(lead[0].length);
  }
  if (/\(\?<?[=!]/.test(src)) throw new SyntaxError('Go regular expressions have no lookahead or lookbehind');
  // Go syntax JavaScript would read differently (without failing) is translated or refused.
  if (/\\[pPQ]/.test(src)) throw new SyntaxError('\\p, \\P and \\Q are not supported by Ferry');
  src = src.replace(/\[:(\^?)(\w+):\]/g, (whole, neg: string, name: string) => {
    const chars = POSIX_CLASSES[name];
    if (chars === undefined || neg) throw new SyntaxError(`${whole} is not supported by Ferry`);
    return chars;
  });
  return new RegExp(src.replaceAll('(?P<', '(?<').replaceAll('\\A', '^').replaceAll('\\z', '$'), flags);
}

/** Go's ASCII character classes (`[[:digit:]]`), as the contents of a JavaScript class. */
const POSIX_CLASSES: Record<string, string> = {
  alnum: '0-9A-Za-z',
  alpha: 'A-Za-z',
  ascii: '\\x00-\\x7F',
  blank: '\\t ',
  cntrl: '\\x00-\\x1F\\x7F',
  digit: '0-9',
  graph: '!-~',
  lower: 'a-z',
  print: ' -~',
  punct: '!-\\/:-@\\[-`{-~',
  space: '\\t\\n\\v\\f\\r ',
  upper: 'A-Z',
  word: '\\w',
  xdigit: '0-9A-Fa-f',
};

const escapeRe = (c: string) => c.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');

/**
 * Compiles a doublestar glob (`*`, `**`, `?`, `[a-z]`, `[!x]`, `{a,b}`, `\` escapes) into an
 * anchored RegExp. Throws a SyntaxError on an unclosed `[` or `{` or a trailing `\`.
 */
export function globRegExp(glob: string): RegExp {
  let out = '';
  let depth = 0;
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i]!;
    if (c === '\\') {
      if (++i >= glob.length) throw new SyntaxError(`bad glob pattern ${JSON.stringify(glob)}: trailing \\`);
      out += escapeRe(glob[i]!);
    } else if (c === '*') {
      const double = glob[i + 1] === '*';
      if (double) i++;
      out += double ? '.*' : '[^/]*';
    } else if (c === '?') {
      out += '[^/]';
    } else if (c === '[') {
      const neg = glob[i + 1] === '!' || glob[i + 1] === '^';
      const start = i + (neg ? 2 : 1);
      const end = glob.indexOf(']', start + 1);
      if (end < 0) throw new SyntaxError(`bad glob pattern ${JSON.stringify(glob)}: unclosed [`);
      out += `[${neg ? '^' : ''}${glob.slice(start, end).replace(/[[^]/g, '\\$&')}]`;
      i = end;
    } else if (c === '{') {
      depth++;
      out += '(?:';
    } else if (c === '}' && depth > 0) {
      depth--;
      out += ')';
    } else if (c === ',' && depth > 0) {
      out += '|';
    } else {
      out += escapeRe(c);
    }
  }
  if (depth > 0) throw new SyntaxError(`bad glob pattern ${JSON.stringify(glob)}: unclosed {`);
  return new RegExp(`^${out}$`);
}

/**
 * Compiles a Kargo name pattern: `glob:<glob>`, `regex:<re>` or `regexp:<re>` (unanchored, as Go's
 * MatchString), anything else an exact name. Throws a SyntaxError for a bad pattern.
 */
export function namePattern(pattern: string): (name: string) => boolean {
  const m = /^(glob|regexp?):/.exec(pattern);
  if (!m) return (name) => name === pattern;
  const body = pattern.slice(m[0].length);
  const re = m[1] === 'glob' ? globRegExp(body) : goRegExp(body);
  return (name) => re.test(name);
}
