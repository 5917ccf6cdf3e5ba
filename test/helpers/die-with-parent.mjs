// Preloaded into the `callout serve` children of tests and benchmarks (child-server.ts). A test run
// killed outright (SIGKILL, the OOM killer, a torn-down worker) cannot stop its children, which would
// keep their ports, stores and CPU. Orphaned (its parent gone, another process adopts it), the child
// shuts down as on SIGTERM, and exits anyway 5 s later.
const parent = process.ppid;
const watch = setInterval(() => {
  if (process.ppid === parent) return;
  clearInterval(watch);
  process.kill(process.pid, 'SIGTERM');
  setTimeout(() => process.exit(1), 5_000).unref();
}, 250);
watch.unref();
