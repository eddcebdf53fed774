import { ApiTokenEntity } from './api-token.entity.js';
import { UserEntity } from './user.entity.js';

export { ApiTokenEntity, UserEntity };
export const tokenEntities = [UserEntity, ApiTokenEntity];
