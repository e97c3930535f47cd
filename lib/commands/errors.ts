/**
 * Errors the CLI turns into exit statuses (SPEC §8). A ConfigError (lib/config) is the user's
 * configuration; a CliError is any other mistake or failure a person can act on (an unwritable
 * output path); everything else is a bug and reported as an internal error.
 */
export class CliError extends Error {
  /** 2 = bad input or usage, 1 = a runtime failure. */
  readonly exitCode: number;

  constructor(message: string, exitCode = 1) {
    super(message);
    this.name = 'CliError';
    this.exitCode = exitCode;
  }
}
