/**
 * The strength rule for every password a person chooses (user create, change, admin reset): a
 * realistic guess estimate by zxcvbn-ts over its common-password list and English dictionaries,
 * plus the user's own email, instead of a list written by hand. A refusal says why, with the
 * library's warning and suggestions.
 *
 * The dictionaries are megabytes of JSON: they are imported on the first check, not when the CLI
 * or the server starts, and built once per process.
 */
import { RevokdError } from './errors.js';

/** zxcvbn's scale: 0 too guessable … 4 very unguessable; 3 is "safely unguessable" (~10^10 guesses). */
export const MIN_PASSWORD_SCORE = 3;
/**
 * Only this many characters are estimated: the matchers grow super-linearly with length (a
 * 100-character random string takes seconds), and a password whose first 64 characters are strong
 * is strong. Past it the input is still hashed whole.
 */
const ESTIMATED_CHARACTERS = 64;
/** Caps the l33t-substitution search for the same reason (the library's default, 100, costs ~1 s on 64 random characters). */
const L33T_MAX_SUBSTITUTIONS = 8;

export interface StrengthVerdict {
  readonly score: number;
  readonly ok: boolean;
  /** Why it is weak, in words a person can act on (empty when strong). */
  readonly reasons: readonly string[];
}

interface Estimator {
  check(
    password: string,
    userInputs?: (string | number)[],
  ): { score: number; feedback: { warning: string | null; suggestions: string[] } };
}

let estimator: Promise<Estimator> | undefined;

function loadEstimator(): Promise<Estimator> {
  estimator ??= (async () => {
    const [{ ZxcvbnFactory }, common, en] = await Promise.all([
      import('@zxcvbn-ts/core'),
      import('@zxcvbn-ts/language-common'),
      import('@zxcvbn-ts/language-en'),
    ]);
    return new ZxcvbnFactory({
      dictionary: { ...common.dictionary, ...en.dictionary },
      graphs: common.adjacencyGraphs,
      translations: en.translations,
      maxLength: ESTIMATED_CHARACTERS,
      l33tMaxSubstitutions: L33T_MAX_SUBSTITUTIONS,
    });
  })();
  return estimator;
}

/** Words the password must not lean on: the email, its local part and domain labels, the product's name. */
function userInputsFor(email: string | undefined): string[] {
  const inputs = ['revokd'];
  if (email !== undefined) {
    const lower = email.toLowerCase();
    const [local, domain] = lower.split('@');
    inputs.push(
      lower,
      ...(local === undefined ? [] : [local]),
      ...(domain ?? '').split('.').filter((label) => label.length >= 3),
    );
  }
  return inputs;
}

export async function estimatePasswordStrength(
  password: string,
  email?: string,
): Promise<StrengthVerdict> {
  const result = (await loadEstimator()).check(password, userInputsFor(email));
  const ok = result.score >= MIN_PASSWORD_SCORE;
  const reasons = ok
    ? []
    : [
        ...(result.feedback.warning === null || result.feedback.warning === ''
          ? ['It would be guessed too quickly.']
          : [result.feedback.warning]),
        ...result.feedback.suggestions,
      ];
  return { score: result.score, ok, reasons };
}

/** Throws ERR_WEAK_PASSWORD (400) naming the reasons when the password is too guessable. */
export async function assertStrongPassword(
  password: string,
  email?: string,
  field = 'password',
): Promise<void> {
  const verdict = await estimatePasswordStrength(password, email);
  if (verdict.ok) return;
  throw new RevokdError(
    'ERR_WEAK_PASSWORD',
    `${field} is too easy to guess: ${verdict.reasons.join(' ')}`,
  );
}
