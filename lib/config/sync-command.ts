/**
 * SCHEDULE.CHECKPOINT.SYNC.COMMAND: one command line, split into words as a POSIX shell splits
 * them (blanks separate words; '…' is literal; "…" is literal except \" \\ \$ \`; a backslash
 * outside quotes escapes the next character) but never run through a shell: no variables, globs,
 * pipes or redirections — a character that would mean one of those to a shell is refused
 * unquoted, so a command never silently does something else than it would in a terminal.
 * Placeholders are substituted in each word after splitting, so a run directory with spaces
 * stays one argument. Checked against Python's shlex.split (tests/unit).
 */

export const SYNC_PLACEHOLDERS = ['run_dir', 'run_name', 'checkpoint_dir', 'checkpoint', 'step'] as const;
export type SyncPlaceholder = (typeof SYNC_PLACEHOLDERS)[number];

export class CommandLineError extends Error {}

/** Characters a shell would treat specially when unquoted: refused so nothing is misread. */
const SHELL_SPECIAL = new Set(['|', '&', ';', '<', '>', '(', ')', '$', '`', '*', '?', '[', '#', '~']);

export function splitCommandLine(line: string): string[] {
  const words: string[] = [];
  let word = '';
  let inWord = false;
  let i = 0;
  while (i < line.length) {
    const c = line[i];
    if (c === ' ' || c === '\t' || c === '\n') {
      if (inWord) words.push(word);
      word = '';
      inWord = false;
      i++;
      continue;
    }
    inWord = true;
    if (c === "'") {
      const end = line.indexOf("'", i + 1);
      if (end < 0) throw new CommandLineError(`unterminated ' quote at character ${i + 1}`);
      word += line.slice(i + 1, end);
      i = end + 1;
    } else if (c === '"') {
      i++;
      for (;;) {
        if (i >= line.length) throw new CommandLineError('unterminated " quote');
        const d = line[i];
        if (d === '"') break;
        if (d === '\\' && i + 1 < line.length && '"\\$`\n'.includes(line[i + 1])) {
          if (line[i + 1] !== '\n') word += line[i + 1];
          i += 2;
          continue;
        }
        if (d === '$' || d === '`') throw new CommandLineError(`'${d}' inside double quotes would be expanded by a shell; the command runs without one (use single quotes)`);
        word += d;
        i++;
      }
      i++;
    } else if (c === '\\') {
      if (i + 1 >= line.length) throw new CommandLineError('a trailing backslash escapes nothing');
      if (line[i + 1] !== '\n') word += line[i + 1];
      else if (word === '') inWord = false;
      i += 2;
    } else if (SHELL_SPECIAL.has(c) && !(c === '#' && word !== '') && !(c === '~' && word !== '')) {
      throw new CommandLineError(`'${c}' at character ${i + 1} means something to a shell, but the command runs without one; quote it, or wrap the command in a script`);
    } else {
      word += c;
      i++;
    }
  }
  if (inWord) words.push(word);
  return words;
}

/** `{name}` placeholders in a word that are not among SYNC_PLACEHOLDERS. */
export function unknownPlaceholders(words: readonly string[]): string[] {
  const known = new Set<string>(SYNC_PLACEHOLDERS);
  return words.flatMap((w) => [...w.matchAll(/\{([a-z_]+)\}/g)].map((m) => m[1])).filter((n) => !known.has(n));
}

export function substitutePlaceholders(words: readonly string[], values: Record<SyncPlaceholder, string>): string[] {
  return words.map((w) => w.replace(/\{([a-z_]+)\}/g, (whole, name: string) => (name in values ? values[name as SyncPlaceholder] : whole)));
}

/** Why COMMAND cannot be used, or null: it splits, names a program, and uses only known placeholders. */
export function syncCommandProblem(line: string): string | null {
  let words: string[];
  try {
    words = splitCommandLine(line);
  } catch (e) {
    return (e as Error).message;
  }
  if (words.length === 0) return 'is empty: give a command line such as `rclone sync {run_dir} remote:runs/{run_name}`';
  const unknown = unknownPlaceholders(words);
  if (unknown.length > 0) return `unknown placeholder {${unknown[0]}}; the placeholders are ${SYNC_PLACEHOLDERS.map((p) => `{${p}}`).join(', ')}`;
  return null;
}
