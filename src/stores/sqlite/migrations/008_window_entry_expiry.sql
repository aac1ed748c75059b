-- Window entries made before they had a lifetime (expires_at NULL) lived for ever in the feed and
-- in every replica. Give them the longest lifetime any configuration allows (refresh TTL at most
-- one year, clock tolerance at most 300 s, plus 1 s): safe whatever the TTLs were, and finite.
-- New entries get their exact lifetime from core/revocation/window-rules.ts.
UPDATE revocations SET expires_at = (window_to + 31536000 + 300 + 1) * 1000
  WHERE scope = 'window' AND expires_at IS NULL AND window_to IS NOT NULL;
