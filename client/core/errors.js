// The CLI's one error type: a message a person can act on, printed as one line, and an exit code.

export class CliError extends Error {
  /**
   * @param {string} message
   * @param {{code?: string, status?: number, exitCode?: number, details?: Record<string, unknown>}} [opts]
   */
  constructor(message, opts = {}) {
    super(message);
    this.name = "CliError";
    /** Machine code: the registry's `code`, or one of the client's own. */
    this.code = opts.code ?? "ERROR";
    /** HTTP status when the registry answered with an error. */
    this.status = opts.status;
    this.exitCode = opts.exitCode ?? 1;
    /** Extra fields of the registry's error body (e.g. the existing version's `integrity` on a 409). */
    this.details = opts.details;
  }
}

/** Bad command line: exit code 2, like most Unix tools. */
export class UsageError extends CliError {
  /** @param {string} message */
  constructor(message) {
    super(message, { code: "USAGE", exitCode: 2 });
    this.name = "UsageError";
  }
}
