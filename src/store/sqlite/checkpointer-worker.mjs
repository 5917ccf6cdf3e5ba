// The checkpoint thread (see checkpointer.ts): its own connection to the store's file, a PASSIVE
// checkpoint at each interval, nothing else.
import { parentPort, workerData } from 'node:worker_threads';
import Database from 'better-sqlite3';

const { file, synchronous, intervalMs } = workerData;
const db = new Database(file, { fileMustExist: true });
// FULL: the copied pages are flushed to the database file before the log may be rewound.
db.pragma(`synchronous = ${synchronous === 'normal' ? 'NORMAL' : 'FULL'}`);
let lastError = '';
const timer = setInterval(() => {
  try {
    db.pragma('wal_checkpoint(PASSIVE)');
    lastError = '';
  } catch (e) {
    // Said once per kind of failure, not every 100 ms.
    const message = `a WAL checkpoint failed: ${e instanceof Error ? e.message : String(e)}`;
    if (message !== lastError) parentPort.postMessage({ error: message });
    lastError = message;
  }
}, intervalMs);

parentPort.on('message', (m) => {
  if (m !== 'stop') return;
  clearInterval(timer);
  db.close();
  parentPort.close();
});
