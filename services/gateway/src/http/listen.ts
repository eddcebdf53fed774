/**
 * Start listening, turning the usual deployment mistakes (port taken, privileged port) into one clear line that
 * names PORT instead of a stack trace.
 */
import { once } from 'node:events';
import type { Server } from 'node:http';
import type { Express } from 'express';

/** The HTTP port could not be bound; `message` is one line meant for the operator. */
export class PortUnavailableError extends Error {
  constructor(
    readonly port: number,
    readonly code: string,
    options?: ErrorOptions,
  ) {
    super(
      code === 'EADDRINUSE'
        ? `PORT ${port} is already in use (EADDRINUSE): stop the other process or set PORT to a free port`
        : code === 'EACCES'
          ? `PORT ${port} needs privileges this process lacks (EACCES): set PORT to 1024 or above`
          : `cannot listen on PORT ${port} (${code})`,
      options,
    );
    this.name = 'PortUnavailableError';
  }
}

export async function listen(app: Express, port: number): Promise<Server> {
  const server = app.listen(port);
  try {
    await once(server, 'listening');
  } catch (err) {
    server.close();
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'EADDRINUSE' || code === 'EACCES' || code === 'EADDRNOTAVAIL')
      throw new PortUnavailableError(port, code, { cause: err });
    throw err;
  }
  return server;
}
