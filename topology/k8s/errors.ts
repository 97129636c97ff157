/**
 * Errors and warnings about a cluster fixture, each with the place it came from.
 *
 * A message reads `FILE:LINE:COL: <yaml path>: expected …, got …`, the shape compilers use, so an
 * editor can jump to it. LINE and COL count from 1.
 */

/** A position in a fixture file. */
export interface SourceLocation {
  readonly file: string;
  readonly line: number;
  readonly col: number;
}

/** A fixture that cannot describe a cluster: bad YAML, a wrong value, or contradicting objects. */
export class FixtureError extends Error {
  override readonly name = 'FixtureError';
  constructor(
    readonly file: string,
    readonly line: number,
    readonly col: number,
    /** YAML path inside the object, e.g. `spec.ports[0].port`; empty for the document itself. */
    readonly path: string,
    /** The message without the location prefix. */
    readonly detail: string,
  ) {
    super(`${file}:${line}:${col}: ${path === '' ? '' : `${path}: `}${detail}`);
  }
}

/** Something kpath tolerates but a user probably did not mean (an unknown field, a selector matching nothing). */
export interface FixtureWarning {
  readonly file: string;
  readonly line: number;
  readonly col: number;
  readonly path: string;
  /** The full `FILE:LINE:COL: path: text` line, ready to print. */
  readonly message: string;
}

export function makeWarning(at: SourceLocation, path: string, text: string): FixtureWarning {
  return {
    file: at.file,
    line: at.line,
    col: at.col,
    path,
    message: `${at.file}:${at.line}:${at.col}: ${path === '' ? '' : `${path}: `}${text}`,
  };
}

export function fixtureError(at: SourceLocation, path: string, detail: string): FixtureError {
  return new FixtureError(at.file, at.line, at.col, path, detail);
}
