/**
 * The `default` of a switch that must handle every case of a union: a case forgotten when the union
 * grows (a new revocation scope, say) is a compile error here rather than a branch silently skipped
 * — which, in a revocation check, would be a fail-open by omission. At run time (a value the types
 * did not foresee) it throws.
 */
export function unhandled(value: never, what: string): never {
  throw new TypeError(`unhandled ${what}: ${JSON.stringify(value)}`);
}
