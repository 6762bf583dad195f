// builders/procfile.ts — parses a Procfile into process types; used by native.ts, dockerfiles.ts and the controller.
import { PaasError } from '../core/errors.ts';

const typePattern = /^[a-z0-9][a-z0-9_-]*$/;

/**
 * The most process types a Procfile may declare. Each type is a label value of the per-app metrics (and a set of
 * processes, Deployments, containers): the cap keeps what one push can add bounded.
 */
export const MAX_PROCESS_TYPES = 32;

function invalid(lineNo: number, why: string): PaasError {
  return new PaasError('E_PROCFILE_INVALID', `Procfile line ${lineNo}: ${why}`);
}

/** Parses Procfile text into {type: command}; refuses bad lines, bad or duplicate types and empty commands with E_PROCFILE_INVALID. */
export function parseProcfile(text: string): Record<string, string> {
  const types: Record<string, string> = {};
  const lines = text.replace(/^\uFEFF/, '').split(/\r\n|\r|\n/);
  lines.forEach((raw, index) => {
    const lineNo = index + 1;
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) return;
    const colon = line.indexOf(':');
    if (colon === -1) throw invalid(lineNo, `expected "type: command", got "${line}"`);
    const type = line.slice(0, colon).trim();
    const command = line.slice(colon + 1).trim();
    if (!typePattern.test(type)) {
      throw invalid(lineNo, `"${type}" is not a valid process type (use a-z, 0-9, - and _, starting with a letter or digit)`);
    }
    if (Object.hasOwn(types, type)) throw invalid(lineNo, `process type "${type}" is declared twice`);
    if (command === '') throw invalid(lineNo, `process type "${type}" has an empty command`);
    if (Object.keys(types).length === MAX_PROCESS_TYPES) {
      throw invalid(lineNo, `a Procfile declares at most ${MAX_PROCESS_TYPES} process types; "${type}" is one too many`);
    }
    types[type] = command;
  });
  return types;
}
