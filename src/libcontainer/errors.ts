/** An error meant for the user: its message is printed as the one-line error of the command. */
export class RuntimeError extends Error {
  constructor(
    message: string,
    /** Exit status of the command (runc exits 1 for every error). */
    readonly exitCode = 1,
  ) {
    super(message);
  }
}
