/** The JSON a login or refresh answers with (SPEC §5.1, and RFC 6749 §5.1 for /oauth/token). */
export interface TokenResponse {
  readonly access_token: string;
  readonly token_type: 'Bearer';
  readonly expires_in: number;
  readonly refresh_token?: string;
  readonly refresh_expires_in?: number;
  readonly session_id: string;
  readonly scope?: string;
}
