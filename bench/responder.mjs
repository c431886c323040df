/**
 * A minimal KMS responder on 127.0.0.1: reads the request body and answers `{}` as KMS does for
 * DisconnectCustomKeyStore, without verifying anything. It runs in its own process so that its
 * CPU is not counted against the client being measured. Prints `{"port": …}` on stdout, or sends
 * it over IPC when started with an IPC channel.
 */
import { createServer } from 'node:http';

const body = Buffer.from('{}');
let served = 0;

const server = createServer((request, response) => {
  // Drain the body before answering, as a real server does.
  request.on('data', () => {});
  request.on('end', () => {
    served++;
    response.writeHead(200, {
      'content-type': 'application/x-amz-json-1.1',
      'content-length': body.length,
      'x-amzn-requestid': 'bench-0000-0000',
    });
    response.end(body);
  });
});
// Clients keep sockets alive for 4–5 s; the server must not close them first.
server.keepAliveTimeout = 60_000;
server.headersTimeout = 61_000;

server.listen(0, '127.0.0.1', () => {
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  if (process.send) process.send({ port });
  else process.stdout.write(`${JSON.stringify({ port })}\n`);
});

process.on('message', (message) => {
  if (message === 'served') process.send?.({ served });
});
process.on('disconnect', () => process.exit(0));
process.on('SIGTERM', () => process.exit(0));
