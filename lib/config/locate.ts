/**
 * Maps a key path (`LR_SCHEDULER.PARAMETER_GROUPS[1].NAME`) to the 1-based line where the key is
 * written. js-yaml reports no per-key positions, so this walks the text's block structure by
 * indentation: block mappings, block sequences (also `- KEY: value` items) and block scalars are
 * understood; keys inside flow collections (`{A: 1}`) are not, and resolve to the line of the
 * nearest enclosing key that is.
 */

interface Frame {
  indent: number;
  path: string;
  item: boolean; // a sequence item rather than a mapping key
  nextIndex: number; // index of the next sequence item directly under this frame
}

const KEY_RE = /^(?:"((?:[^"\\]|\\.)*)"|'((?:[^']|'')*)'|([^\s#'"{[\]},:&*!|>%@`-][^:#]*?|-[^\s:#][^:#]*?))\s*:(?:\s|$)/;

export class KeyLocator {
  private readonly lines = new Map<string, number>();

  constructor(text: string) {
    const stack: Frame[] = [{ indent: -1, path: '', item: false, nextIndex: 0 }];
    let blockScalarIndent: number | undefined; // skip the body of `KEY: |` / `KEY: >`
    const rows = text.split(/\r?\n/);
    for (let n = 0; n < rows.length; n++) {
      const raw = rows[n];
      const trimmed = raw.trim();
      const indent = raw.length - raw.trimStart().length;
      if (blockScalarIndent !== undefined) {
        if (trimmed === '' || indent > blockScalarIndent) continue;
        blockScalarIndent = undefined;
      }
      if (trimmed === '' || trimmed.startsWith('#') || trimmed === '---' || trimmed === '...') continue;

      let col = indent;
      let rest = raw.slice(indent);
      // Sequence items, possibly several on a line (`- - a`), possibly opening a mapping (`- KEY: v`).
      while (rest.startsWith('- ') || rest === '-') {
        while (stack.length > 1) {
          const top = stack[stack.length - 1];
          if (top.indent > col || (top.indent === col && top.item)) stack.pop();
          else break;
        }
        const parent = stack[stack.length - 1];
        const path = `${parent.path}[${parent.nextIndex++}]`;
        this.record(path, n + 1);
        stack.push({ indent: col, path, item: true, nextIndex: 0 });
        const after = rest.slice(1);
        const pad = after.length - after.trimStart().length;
        col += 1 + pad;
        rest = after.trimStart();
        if (rest === '') break;
      }
      const m = KEY_RE.exec(rest);
      if (!m) continue;
      const key = m[1] ?? (m[2] !== undefined ? m[2].replace(/''/g, "'") : m[3].trim());
      while (stack.length > 1 && stack[stack.length - 1].indent >= col) stack.pop();
      const parent = stack[stack.length - 1];
      const path = parent.path ? `${parent.path}.${key}` : key;
      this.record(path, n + 1);
      stack.push({ indent: col, path, item: false, nextIndex: 0 });
      const value = rest.slice(m[0].length).replace(/\s+#.*$/, '').trim();
      if (/^[|>][0-9+-]*$/.test(value)) blockScalarIndent = col;
    }
  }

  private record(path: string, line: number): void {
    if (!this.lines.has(path)) this.lines.set(path, line);
  }

  /** Line of exactly this key path, if it is written in block style. */
  exact(path: string): number | undefined {
    return this.lines.get(path);
  }

  /** Line of the key, or of its nearest enclosing key that is written in the file. */
  line(path: string): number | undefined {
    let p = path;
    for (;;) {
      const hit = this.lines.get(p);
      if (hit !== undefined) return hit;
      const cut = Math.max(p.lastIndexOf('.'), p.lastIndexOf('['));
      if (cut <= 0) return undefined;
      p = p.slice(0, cut);
    }
  }
}
