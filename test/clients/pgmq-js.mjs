// test/clients/pgmq-js.mjs: pgq's pgmq schema driven by the real Node client pgmq-js
//
//   node test/clients/pgmq-js.mjs      (run by test/clients.sh, which installs the packages)
//
// Connects with the standard PG* environment variables (PGHOST may be a unix-socket directory;
// PGPORT, PGDATABASE, PGUSER, PGPASSWORD), creates its own queues (js_main, js_unlogged, Js-Mixed)
// and runs a producer/consumer flow through every call pgmq-js offers, asserting what comes back.
// Prints "ok N - text" / "not ok N - text" lines, then "1..N" and "# passed N failed M"; exits 1
// when an assertion failed or the test could not run.
//
// pgmq-js must be opened with { skipExtensionCreation: true }: otherwise Pgmq.new() runs
// CREATE EXTENSION IF NOT EXISTS pgmq CASCADE, which is not what creates schema pgmq here.
// Queue names: pgq folds them to lower case where pgmq keeps them as given, so names coming back
// (list_queues, metrics) are compared without regard to case.

import { isDeepStrictEqual } from 'node:util';
import os from 'node:os';
import { Pgmq } from 'pgmq-js';

let n = 0;
let failed = 0;

function show(v) {
  return v instanceof Date ? v.toISOString() : JSON.stringify(v);
}

function ok(cond, text, detail) {
  n++;
  if (cond) {
    console.log(`ok ${n} - ${text}`);
  } else {
    failed++;
    console.log(`not ok ${n} - ${text}`);
    if (detail !== undefined) {
      for (const line of String(detail).split('\n')) console.log(`#   ${line}`);
    }
  }
  return !!cond;
}

function is(got, want, text) {
  return ok(isDeepStrictEqual(got, want), text, `got:  ${show(got)}\nwant: ${show(want)}`);
}

// run an async step; a thrown error is one failed assertion and the step's result is undefined
async function step(text, fn) {
  try {
    return await fn();
  } catch (err) {
    ok(false, `${text} (threw)`, `${err && err.code ? err.code + ' ' : ''}${err && err.message}`);
    return undefined;
  }
}

// expect a call to be rejected, optionally with a given SQLSTATE
async function rejects(text, fn, code) {
  try {
    const v = await fn();
    return ok(false, text, `resolved to ${show(v)}`);
  } catch (err) {
    if (code === undefined) return ok(true, text);
    return ok(err.code === code, text, `SQLSTATE ${err.code}, want ${code}: ${err.message}`);
  }
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
const lower = (s) => (typeof s === 'string' ? s.toLowerCase() : s);
const ids = (msgs) => (Array.isArray(msgs) ? msgs.map((m) => m.msgId) : msgs);
const sorted = (a) => (Array.isArray(a) ? [...a].sort((x, y) => x - y) : a);
const byId = (msgs) => (Array.isArray(msgs) ? [...msgs].sort((x, y) => x.msgId - y.msgId) : msgs);
const isId = (v) => Number.isSafeInteger(v) && v > 0;

// a timestamp close to the client's clock (same machine as the server)
function near(d, fromMs, toMs, text) {
  const t = d instanceof Date ? d.getTime() : NaN;
  const now = Date.now();
  return ok(t >= now + fromMs && t <= now + toMs, text,
    `got ${show(d)}, want within [${fromMs}, ${toMs}] ms of ${new Date(now).toISOString()}`);
}

// one message as pgmq-js maps it: { msgId, readCount, enqueuedAt, vt, message }
function checkMsg(m, want, text) {
  if (!ok(m !== undefined && m !== null, `${text}: a message came back`, `got ${show(m)}`)) return;
  is(m.msgId, want.msgId, `${text}: msgId`);
  is(m.message, want.message, `${text}: message equals what was sent`);
  is(m.readCount, want.readCount, `${text}: readCount`);
  ok(m.enqueuedAt instanceof Date && m.enqueuedAt.getTime() <= Date.now() + 1000 &&
     m.enqueuedAt.getTime() > Date.now() - 60000, `${text}: enqueuedAt is a recent time`,
     `got ${show(m.enqueuedAt)}`);
  if (want.vtFrom !== undefined) near(m.vt, want.vtFrom, want.vtTo, `${text}: vt`);
}

async function main() {
  const user = process.env.PGUSER || os.userInfo().username;
  const config = {
    host: process.env.PGHOST || '/var/run/postgresql',
    port: parseInt(process.env.PGPORT || '5432', 10),
    database: process.env.PGDATABASE || user,
    user,
    password: process.env.PGPASSWORD,
    ssl: false, // pgmq-js turns SSL on unless told otherwise
    max: 4,
    idleTimeoutMillis: 1000, // left unset, pgmq-js sets max (not this) to 1000
    connectionTimeoutMillis: 5000,
  };
  const pgmq = await step('Pgmq.new connects', () => Pgmq.new(config, { skipExtensionCreation: true }));
  if (!ok(pgmq !== undefined, `connected to ${config.host}:${config.port} db ${config.database} as ${config.user}`)) {
    return;
  }
  try {
    await flow(pgmq);
  } finally {
    await pgmq.close().catch(() => {});
  }
}

async function flow(pgmq) {
  const Q = 'js_main';
  const m1 = { order: 1, text: 'first', nested: { list: [1, 2, 3], flag: true, none: null } };
  const batch = [
    { order: 2 },
    { order: 3, s: 'a "quoted", {braced} \\ back\\slash, é ☃ 𝄞' },
    ['an', 'array', 4],
  ];
  const mDelayed = { order: 5, delayed: true };
  const mPop = 'a plain JSON string';

  // --- queue creation and listing
  await step('queue.create', () => pgmq.queue.create(Q));
  ok(true, `queue.create(${Q}) resolved`);
  await step('queue.create again', () => pgmq.queue.create(Q));
  ok(true, 'queue.create of an existing queue resolves (no error, as pgmq)');
  let queues = await step('queue.list', () => pgmq.queue.list());
  let mine = (queues || []).filter((q) => lower(q.name) === Q);
  is(mine.length, 1, 'queue.list lists the queue once');
  if (mine.length === 1) {
    is(mine[0].isPartitioned, false, 'queue.list: isPartitioned false');
    is(mine[0].isUnlogged, false, 'queue.list: isUnlogged false');
    near(mine[0].createdAt, -60000, 1000, 'queue.list: createdAt is now (parsed from the record text)');
  }

  let met = await step('queue.getMetrics (empty)', () => pgmq.queue.getMetrics(Q));
  if (met) {
    is(met.queueName, Q, 'metrics of an empty queue: queueName');
    is(met.queueLength, 0, 'metrics of an empty queue: queueLength 0');
    is(met.totalMessages, 0, 'metrics of an empty queue: totalMessages 0');
    is(met.newestMsgAgeSec, undefined, 'metrics of an empty queue: newest_msg_age_sec NULL');
    is(met.oldestMsgAgeSec, undefined, 'metrics of an empty queue: oldest_msg_age_sec NULL');
    near(met.scrapeTime, -5000, 1000, 'metrics: scrapeTime is now');
  }

  // --- producing
  const id1 = await step('msg.send', () => pgmq.msg.send(Q, m1));
  ok(isId(id1), 'msg.send returns a positive msg id', `got ${show(id1)}`);
  const bids = await step('msg.sendBatch', () => pgmq.msg.sendBatch(Q, batch));
  ok(Array.isArray(bids) && bids.length === 3 && bids.every(isId), 'msg.sendBatch returns 3 msg ids',
    `got ${show(bids)}`);
  if (Array.isArray(bids) && bids.length === 3) {
    ok(bids[0] > id1 && bids[1] === bids[0] + 1 && bids[2] === bids[1] + 1,
      'msg.sendBatch ids follow the first id, in order', `first ${id1}, batch ${show(bids)}`);
  }
  is(await step('msg.sendBatch []', () => pgmq.msg.sendBatch(Q, [])), [], 'msg.sendBatch of no messages returns no ids');
  const idD = await step('msg.send with delay', () => pgmq.msg.send(Q, mDelayed, 1));
  ok(isId(idD) && Array.isArray(bids) && idD > bids[2], 'msg.send with delay 1 s returns the next id',
    `got ${show(idD)}`);

  met = await step('queue.getMetrics', () => pgmq.queue.getMetrics(Q));
  if (met) {
    is(met.queueLength, 5, 'metrics: queueLength 5 after 5 sends');
    is(met.totalMessages, 5, 'metrics: totalMessages 5');
    ok(Number.isInteger(met.newestMsgAgeSec) && met.newestMsgAgeSec >= 0 && met.newestMsgAgeSec <= 5,
      'metrics: newestMsgAgeSec small', `got ${show(met.newestMsgAgeSec)}`);
    ok(Number.isInteger(met.oldestMsgAgeSec) && met.oldestMsgAgeSec >= met.newestMsgAgeSec,
      'metrics: oldestMsgAgeSec >= newestMsgAgeSec', `got ${show(met.oldestMsgAgeSec)}`);
  }

  // --- consuming
  let r = await step('msg.read', () => pgmq.msg.read(Q, 1));
  checkMsg(r, { msgId: id1, message: m1, readCount: 1, vtFrom: 300, vtTo: 1500 }, 'msg.read(vt 1)');
  const rb = byId(await step('msg.readBatch', () => pgmq.msg.readBatch(Q, 1, 10)));
  is(ids(rb), bids, 'msg.readBatch(vt 1, 10) returns the batch, not the message being read nor the delayed one');
  if (Array.isArray(rb) && rb.length === 3) {
    for (let i = 0; i < 3; i++) {
      checkMsg(rb[i], { msgId: bids[i], message: batch[i], readCount: 1, vtFrom: 300, vtTo: 1500 },
        `msg.readBatch row ${i + 1}`);
    }
  }
  is(await step('msg.readBatch (nothing visible)', () => pgmq.msg.readBatch(Q, 1, 10)), [],
    'msg.readBatch returns nothing while every message is invisible');
  is(await step('msg.read (nothing visible)', () => pgmq.msg.read(Q, 1)), undefined,
    'msg.read returns undefined while every message is invisible');
  is(await step('msg.pop (nothing visible)', () => pgmq.msg.pop(Q)), undefined,
    'msg.pop returns undefined while every message is invisible');

  // --- set_vt
  if (Array.isArray(bids) && bids.length === 3) {
    r = await step('msg.setVt 0', () => pgmq.msg.setVt(Q, bids[2], 0));
    checkMsg(r, { msgId: bids[2], message: batch[2], readCount: 1, vtFrom: -2000, vtTo: 0 },
      'msg.setVt(vt 0) returns the message, visible now');
    r = await step('msg.setVt 30', () => pgmq.msg.setVt(Q, bids[1], 30));
    checkMsg(r, { msgId: bids[1], message: batch[1], readCount: 1, vtFrom: 28000, vtTo: 31000 },
      'msg.setVt(vt 30) returns the message, vt 30 s ahead');
    r = await step('msg.readBatch after setVt', () => pgmq.msg.readBatch(Q, 1, 10));
    is(ids(r), [bids[2]], 'msg.readBatch then returns only the message whose vt was reset');
    if (Array.isArray(r) && r.length === 1) is(r[0].readCount, 2, 'its readCount is now 2');
  }
  is(await step('msg.setVt missing', () => pgmq.msg.setVt(Q, 999999999, 10)), undefined,
    'msg.setVt of a missing msg id returns undefined');

  // --- pop
  const idP = await step('msg.send (for pop)', () => pgmq.msg.send(Q, mPop));
  r = await step('msg.pop', () => pgmq.msg.pop(Q));
  checkMsg(r, { msgId: idP, message: mPop, readCount: 0 }, 'msg.pop returns the only visible message');
  is(await step('msg.pop again', () => pgmq.msg.pop(Q)), undefined, 'msg.pop again returns undefined');

  // --- visibility timeouts expire
  await sleep(1300);
  // Which visible messages a read takes first differs: pgmq takes the lowest msg ids, pgq the
  // messages visible longest.  Both hand out every visible message exactly once: check the sets.
  r = await step('msg.readBatch(2) after vt expired', () => pgmq.msg.readBatch(Q, 1, 2));
  const r2 = await step('msg.readBatch(10) after vt expired', () => pgmq.msg.readBatch(Q, 1, 10));
  if (Array.isArray(bids) && bids.length === 3) {
    is(Array.isArray(r) ? r.length : r, 2, 'after 1.3 s, readBatch(vt 1, qty 2) returns two messages');
    is(Array.isArray(r2) ? r2.length : r2, 2, 'then readBatch(vt 1, qty 10) returns the other two');
    if (Array.isArray(r) && Array.isArray(r2)) {
      const all = byId([...r, ...r2]);
      is(ids(all), sorted([id1, bids[0], bids[2], idD]),
        'together they are the three expired messages and the delayed one, each once');
      is(all.map((m) => m.readCount), [2, 2, 3, 1], 'readCounts are 2, 2, 3 and 1 (the delayed message)');
      const again = all.find((m) => m.msgId === id1);
      const delayed = all.find((m) => m.msgId === idD);
      is(again && again.message, m1, 'a message read twice is unchanged');
      is(delayed && delayed.message, mDelayed, 'the delayed message is the one sent');
      if (again) near(again.vt, 300, 1500, 'vt of the re-read message is 1 s ahead');
    }
  }

  // --- archive and delete
  is(await step('msg.archive', () => pgmq.msg.archive(Q, id1)), true, 'msg.archive of an existing id returns true');
  is(await step('msg.archive again', () => pgmq.msg.archive(Q, id1)), false, 'msg.archive of an archived id returns false');
  is(await step('msg.archive missing', () => pgmq.msg.archive(Q, 999999999)), false, 'msg.archive of a missing id returns false');
  if (Array.isArray(bids) && bids.length === 3) {
    is(await step('msg.delete', () => pgmq.msg.delete(Q, bids[0])), true, 'msg.delete of an existing id returns true');
    is(await step('msg.delete again', () => pgmq.msg.delete(Q, bids[0])), false, 'msg.delete of a deleted id returns false');
    is(await step('msg.delete archived', () => pgmq.msg.delete(Q, id1)), false,
      'msg.delete of an archived id returns false');
    r = await step('msg.archiveBatch', () => pgmq.msg.archiveBatch(Q, [bids[1], 999999998, id1]));
    is(sorted(r), [bids[1]], 'msg.archiveBatch returns only the ids it archived');
    r = await step('msg.deleteBatch', () => pgmq.msg.deleteBatch(Q, [bids[2], idD, 999999997, bids[0]]));
    is(sorted(r), sorted([bids[2], idD]), 'msg.deleteBatch returns only the ids it deleted');
  }
  is(await step('msg.archiveBatch []', () => pgmq.msg.archiveBatch(Q, [])), [], 'msg.archiveBatch of no ids returns none');
  is(await step('msg.deleteBatch []', () => pgmq.msg.deleteBatch(Q, [])), [], 'msg.deleteBatch of no ids returns none');

  met = await step('queue.getMetrics after consuming', () => pgmq.queue.getMetrics(Q));
  if (met) {
    is(met.queueLength, 0, 'metrics: queueLength 0 once everything is archived, deleted or popped');
    is(met.totalMessages, 6, 'metrics: totalMessages counts all 6 messages ever sent');
  }

  // --- purge
  await step('msg.sendBatch (for purge)', () => pgmq.msg.sendBatch(Q, [{ p: 1 }, { p: 2 }]));
  await step('msg.send delayed (for purge)', () => pgmq.msg.send(Q, { p: 3 }, 60));
  met = await step('queue.getMetrics before purge', () => pgmq.queue.getMetrics(Q));
  is(met && met.queueLength, 3, 'metrics: queueLength 3 before purge');
  await step('queue.purge', () => pgmq.queue.purge(Q));
  met = await step('queue.getMetrics after purge', () => pgmq.queue.getMetrics(Q));
  is(met && met.queueLength, 0, 'queue.purge empties the queue, delayed messages too');
  is(met && met.totalMessages, 9, 'metrics: totalMessages still 9 after purge');
  is(await step('msg.read after purge', () => pgmq.msg.read(Q, 1)), undefined, 'msg.read after purge finds nothing');

  // --- an unlogged queue
  const QU = 'js_unlogged';
  await step('queue.createUnlogged', () => pgmq.queue.createUnlogged(QU));
  queues = await step('queue.list', () => pgmq.queue.list());
  mine = (queues || []).filter((q) => lower(q.name) === QU);
  ok(mine.length === 1 && mine[0].isUnlogged === true && mine[0].isPartitioned === false,
    'queue.createUnlogged: queue.list shows isUnlogged true', `got ${show(mine)}`);
  const idU = await step('msg.send (unlogged)', () => pgmq.msg.send(QU, { u: 1 }));
  r = await step('msg.read (unlogged)', () => pgmq.msg.read(QU, 1));
  checkMsg(r, { msgId: idU, message: { u: 1 }, readCount: 1 }, 'send/read on an unlogged queue');
  is(idU, 1, 'a new queue numbers its messages from 1');

  // --- a name with capitals and a hyphen
  const QM = 'Js-Mixed';
  await step('queue.create mixed-case', () => pgmq.queue.create(QM));
  queues = await step('queue.list', () => pgmq.queue.list());
  mine = (queues || []).filter((q) => lower(q.name) === 'js-mixed');
  is(mine.length, 1, `queue.create(${QM}): queue.list shows it (compared without case)`);
  const idM = await step('msg.send mixed-case', () => pgmq.msg.send('js-mixed', { m: 'mixed' }));
  ok(isId(idM), 'msg.send to the queue spelled in lower case');
  r = await step('msg.read mixed-case', () => pgmq.msg.read('JS-MIXED', 1));
  checkMsg(r, { msgId: idM, message: { m: 'mixed' }, readCount: 1 }, 'msg.read with the name spelled in upper case');
  met = await step('queue.getMetrics mixed-case', () => pgmq.queue.getMetrics(QM));
  ok(met && lower(met.queueName) === 'js-mixed' && met.queueLength === 1 && met.totalMessages === 1,
    'queue.getMetrics of the mixed-case queue', `got ${show(met)}`);
  is(await step('msg.archive mixed-case', () => pgmq.msg.archive(QM, idM)), true, 'msg.archive on the mixed-case queue');

  // --- metrics of all queues
  const all = await step('queue.getAllMetrics', () => pgmq.queue.getAllMetrics());
  if (Array.isArray(all)) {
    is(all.map((m) => lower(m.queueName)).sort(), ['js-mixed', 'js_main', 'js_unlogged'],
      'queue.getAllMetrics has one row per queue');
    const u = all.find((m) => lower(m.queueName) === QU);
    ok(u && u.queueLength === 1 && u.totalMessages === 1, 'queue.getAllMetrics row of the unlogged queue',
      `got ${show(u)}`);
  } else {
    ok(false, 'queue.getAllMetrics returns an array', `got ${show(all)}`);
  }

  // --- errors
  await rejects('msg.send to a missing queue fails with 42P01', () => pgmq.msg.send('js_missing', { x: 1 }), '42P01');
  await rejects('msg.read of a missing queue fails with 42P01', () => pgmq.msg.read('js_missing', 1), '42P01');
  await rejects('queue.getMetrics of a missing queue fails with 42P01', () => pgmq.queue.getMetrics('js_missing'), '42P01');
  await rejects('queue.create with a ";" in the name fails', () => pgmq.queue.create('js;bad'));
  await rejects('queue.create with a 48-character name fails', () => pgmq.queue.create('q'.repeat(48)));

  // --- detach archive, drop
  await step('queue.detachArchive', () => pgmq.queue.detachArchive(Q));
  ok(true, 'queue.detachArchive resolved');
  for (const q of [Q, QU, QM]) {
    await step(`queue.drop ${q}`, () => pgmq.queue.drop(q));
  }
  queues = await step('queue.list after drop', () => pgmq.queue.list());
  is(queues, [], 'queue.drop: queue.list is empty after dropping the three queues');
  await rejects('msg.send to a dropped queue fails with 42P01', () => pgmq.msg.send(Q, { x: 1 }), '42P01');
  is(await step('queue.getAllMetrics after drop', () => pgmq.queue.getAllMetrics()), [],
    'queue.getAllMetrics is empty after drop');
}

const timer = setTimeout(() => {
  ok(false, 'the test finished within 60 s');
  console.log(`1..${n}`);
  console.log(`# passed ${n - failed} failed ${failed}`);
  process.exit(1);
}, 60000);

try {
  await main();
} catch (err) {
  ok(false, 'unexpected error', err && err.stack);
}
clearTimeout(timer);
if (n === 0) ok(false, 'no assertion ran');
console.log(`1..${n}`);
console.log(`# passed ${n - failed} failed ${failed}`);
process.exitCode = failed > 0 ? 1 : 0;
