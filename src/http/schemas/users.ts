/** Users as the admin API shows them (publicUser in src/http/routes/admin.ts). */
import { Type } from '@sinclair/typebox';
import { Closed, IsoTime, NullableIsoTime, StringEnum } from './shapes.js';

export const Role = StringEnum(['user', 'admin'] as const);

const userFields = {
  id: Type.String({ format: 'uuid' }),
  email: Type.String(),
  role: Role,
  created_at: IsoTime,
  disabled_at: NullableIsoTime,
};

export const PublicUser = Closed(userFields);

/** Security views say whether the account is a decoy. */
export const PublicUserWithDecoy = Closed({ ...userFields, decoy: Type.Boolean() });
