/**
 * DataError: a problem with the user's data (missing file, bad shape, wrong dtype, values out of
 * range). Like ConfigError, the CLI prints the message alone (no stack), so the message names the
 * file (as written in the config) or key, says what was wrong and what is allowed.
 */
export class DataError extends Error {
  /** The file (as the user wrote its path) or key path the message is about. */
  readonly where: string;

  constructor(where: string, message: string) {
    super(`data error: ${where}: ${message}`);
    this.name = 'DataError';
    this.where = where;
  }
}
