/**
 * undici's Agent on its own. `import { Agent } from 'undici'` loads all of undici (fetch,
 * WebSocket, caches, interceptors …), several times the start-up cost of the Agent alone; the
 * package has no exports map, so its files can be imported directly.
 */
declare module 'undici/lib/dispatcher/agent.js' {
  import { Agent } from 'undici';

  export = Agent;
}

/** undici's Pool on its own (one origin, a bounded set of connections), for the same reason. */
declare module 'undici/lib/dispatcher/pool.js' {
  import { Pool } from 'undici';

  export = Pool;
}
