/** Record ids (users, API tokens, alerts, blocks) are UUIDs; anything else is refused before a lookup. */
export const UUID_PATTERN = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
