import { ERRORS, GraphTokenError } from '../errors';

export function notFound(id: string): GraphTokenError {
  return new GraphTokenError(ERRORS.TOKEN_NOT_FOUND, `No token with id ${JSON.stringify(id).slice(0, 80)}`);
}
