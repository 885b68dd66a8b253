// Errors of the bundle/config layer: always one line, naming the file (and JSON pointer or
// line:column) that is at fault, so the CLI can print `runc-ts: <message>` as is.

export class SpecError extends Error {
  override name = 'SpecError';

  constructor(message: string) {
    // One line: a message from a file's content must not break the CLI's log format.
    super(message.replace(/\s*[\r\n]+\s*/g, ' '));
  }
}
