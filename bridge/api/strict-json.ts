/**
 * Duplicate keys in a JSON object: `{"qty":-1,"qty":100}` parses to qty 100 everywhere, so a
 * refused value could hide behind an accepted one and the sender's intent is unknowable. The
 * bridge refuses such bodies and frames, naming the field (`rows[2].qty`).
 */
import { visit } from 'jsonc-parser';
import { fieldPath } from '../../common/schemas.js';

/** Path of the first key repeated within one object, or undefined. Call on text JSON.parse accepts. */
export function firstDuplicateKey(text: string): string | undefined {
  // Cheap exit: a body with fewer than two keys cannot repeat one.
  if (text.indexOf(':') === text.lastIndexOf(':')) return undefined;
  const open: Array<Set<string>> = [];
  let found: string | undefined;
  visit(text, {
    onObjectBegin: () => {
      if (found !== undefined) return false;
      open.push(new Set());
    },
    onObjectEnd: () => {
      open.pop();
    },
    onObjectProperty: (name, _offset, _length, _line, _char, pathSupplier) => {
      const keys = open[open.length - 1];
      if (found !== undefined || keys === undefined) return;
      if (keys.has(name)) found = fieldPath('', [...pathSupplier(), name]);
      else keys.add(name);
    },
  });
  return found;
}

export function duplicateKeyMessage(field: string): string {
  return `campo repetido no JSON: ${field} aparece mais de uma vez no mesmo objeto; envie cada campo uma vez só`;
}
