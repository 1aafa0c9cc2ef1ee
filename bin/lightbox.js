#!/usr/bin/env node
// Runs the TypeScript sources directly (tsx), so `npm ci && npm start` needs no build step.
import { register } from 'tsx/esm/api';

// Under a package manager (`npm start`, `npx lightbox serve`) the server's parent is npm or the shell npm started.
// Should that parent die without passing its SIGTERM on (a shell that did not `exec`, npm killed outright), the
// server would keep running orphaned on its port: it stops, as if signalled, when its parent goes away. Started
// any other way (systemd, a container, `nohup … &`), outliving the parent is intended and nothing is watched.
if (process.argv[2] === 'serve' && process.env.npm_lifecycle_event !== undefined) {
  const parent = process.ppid;
  const watch = setInterval(() => {
    if (process.ppid === parent) return;
    clearInterval(watch);
    process.kill(process.pid, 'SIGTERM');
  }, 500).unref();
}

register();
await import('../src/cli/main.ts');
