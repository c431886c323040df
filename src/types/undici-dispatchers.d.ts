/**
 * undici's dispatchers on their own: `import { Pool } from 'undici'` loads all of undici (fetch,
 * WebSocket, caches, interceptors …), several times the start-up cost. undici has no exports map,
 * so its files can be imported directly; see `src/request/pool.ts` for the client's use.
 */
declare module 'undici/lib/dispatcher/pool.js' {
  import { Pool } from 'undici';

  export = Pool;
}

/** The Agent alone (the tests use it as a user-supplied dispatcher that loads no index). */
declare module 'undici/lib/dispatcher/agent.js' {
  import { Agent } from 'undici';

  export = Agent;
}
