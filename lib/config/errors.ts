/**
 * A mistake in the user's configuration. The CLI prints `message` alone (no stack) and exits 2
 * (SPEC §8), so the message must say what is wrong, which key, and what is allowed.
 */
export class ConfigError extends Error {
  /** Dotted key path, e.g. `LR_SCHEDULER.WARMUP_FRACTION`; '' when the whole file is at fault. */
  readonly keyPath: string;
  /** Source file and 1-based line where known. */
  readonly file?: string;
  readonly line?: number;

  constructor(message: string, keyPath = '', location: { file?: string; line?: number } = {}) {
    super(ConfigError.format(message, keyPath, location));
    this.name = 'ConfigError';
    this.keyPath = keyPath;
    this.file = location.file;
    this.line = location.line;
  }

  private static format(message: string, keyPath: string, loc: { file?: string; line?: number }): string {
    const where = loc.file ? `${loc.file}${loc.line !== undefined ? `:${loc.line}` : ''}: ` : '';
    const key = keyPath ? `${keyPath}: ` : '';
    return `config error: ${where}${key}${message}`;
  }
}
