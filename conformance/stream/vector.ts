/**
 * The shape of a stream conformance vector (docs/stream-protocol.md, "Conformance vectors"). Every
 * consumer of the revocation stream — @revokd/verifier, and any in another language — runs every
 * `*.json` file of this folder: it feeds the steps to its protocol state machine in order, with its
 * clock set to each step's `now_ms`, and must reach every decision and error the vector names.
 */

/** A consumer's answer for a token: `accept` (its claims), or the error it must raise. */
export type Decision = 'accept' | 'revoked' | 'unavailable' | 'invalid';

/** How a received event must end the connection, if it must. */
export type ExpectedError =
  /** What was received is not what the service sent: stale now; reconnect WITHOUT Last-Event-ID. */
  | 'tampered'
  /** The consumer cannot follow this service: stop deciding (every check `unavailable`) and never reconnect. */
  | 'halted'
  /** A malformed stream: drop the connection and reconnect from the last applied id. */
  | 'protocol';

export type Step =
  /** A new connection: the consumer must ask with this Last-Event-ID (null: none); the response announces `protocol_header`. */
  | {
      readonly connect: {
        readonly expect_last_event_id: string | null;
        readonly protocol_header: string | null;
      };
    }
  /** An SSE event as parsed (event name, id field or null, the data text exactly); `expect_error` if it must end the connection. */
  | {
      readonly now_ms: number;
      readonly receive: {
        readonly event: string;
        readonly id: string | null;
        readonly data: string;
      };
      readonly expect_error?: ExpectedError;
    }
  /** Verify a token (by name, from `tokens`) at `now_ms`: the decision it must get. */
  | {
      readonly now_ms: number;
      readonly check: { readonly token: string; readonly expect: Decision };
    };

export interface Vector {
  /** The stream protocol the vector is written for. */
  readonly protocol: number;
  readonly name: string;
  readonly description: string;
  readonly consumer: {
    readonly issuer: string;
    readonly audience: string;
    readonly max_staleness_ms: number;
    readonly fail_mode: 'closed' | 'open';
    readonly clock_tolerance_seconds: number;
    readonly max_token_lifetime_seconds: number;
  };
  /** The issuer's JWKS (what the consumer fetches from jwks_uri). */
  readonly jwks: { readonly keys: ReadonlyArray<Record<string, unknown>> };
  /** Access tokens by name (EdDSA, signed with the JWKS's key). */
  readonly tokens: Readonly<Record<string, string>>;
  readonly steps: readonly Step[];
}
