/**
 * The machine's floor for a sequential call: the round trip of 200 bytes over loopback TCP,
 * between two processes (as between a client and the responder) and within one. Prints JSON.
 */
import { fork } from 'node:child_process';
import net from 'node:net';
import { fileURLToPath } from 'node:url';

function echoServer() {
  const server = net.createServer((socket) => {
    socket.setNoDelay(true);
    socket.on('data', (data) => socket.write(data));
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server)));
}

async function roundTripUs(port) {
  const socket = net.connect(port, '127.0.0.1');
  socket.setNoDelay(true);
  await new Promise((resolve) => socket.once('connect', resolve));
  const payload = Buffer.alloc(200, 1);
  const once = () =>
    new Promise((resolve) => {
      socket.once('data', resolve);
      socket.write(payload);
    });
  for (let i = 0; i < 500; i++) await once();
  const calls = 3000;
  const begin = process.hrtime.bigint();
  for (let i = 0; i < calls; i++) await once();
  socket.destroy();
  return Number(process.hrtime.bigint() - begin) / calls / 1000;
}

if (process.argv[2] === 'server') {
  const server = await echoServer();
  process.send(server.address().port);
  process.on('disconnect', () => process.exit(0));
} else {
  const child = fork(fileURLToPath(import.meta.url), ['server']);
  const port = await new Promise((resolve) => child.once('message', resolve));
  const crossProcess = await roundTripUs(port);
  child.kill();
  const server = await echoServer();
  const sameProcess = await roundTripUs(server.address().port);
  server.close();
  process.stdout.write(
    `${JSON.stringify({ crossProcessUs: crossProcess, sameProcessUs: sameProcess })}\n`,
  );
}
