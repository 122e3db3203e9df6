// drawverify.js recomputes, in the browser, every check of a draw's public
// manifest that draw-spec.md gives the public (dual-random-draw/v2, and v1
// for draws made under it), and checks an entity's opening against it. It
// uses only WebCrypto's SHA-256 and loads nothing else. The checks are the
// same as `verify-draw` (internal/draw/verifypublic.go), in the same order:
// the first that fails is named, and nothing after it is claimed.
'use strict';

const V1 = 'dual-random-draw/v1';
const V2 = 'dual-random-draw/v2';
const encoder = new TextEncoder();

// H(f1, …, fn) = SHA-256(len(f1) ‖ f1 ‖ … ‖ len(fn) ‖ fn), 4-byte big-endian lengths.
function framed(fields) {
  const parts = fields.map((f) => (typeof f === 'string' ? encoder.encode(f) : f));
  let size = 0;
  for (const p of parts) size += 4 + p.length;
  const out = new Uint8Array(size);
  const view = new DataView(out.buffer);
  let at = 0;
  for (const p of parts) {
    view.setUint32(at, p.length);
    out.set(p, at + 4);
    at += 4 + p.length;
  }
  return out;
}

async function digest(bytes) {
  return new Uint8Array(await crypto.subtle.digest('SHA-256', bytes));
}

const H = (...fields) => digest(framed(fields));

function hex(bytes) {
  let s = '';
  for (const b of bytes) s += (b < 16 ? '0' : '') + b.toString(16);
  return s;
}

const hexH = async (...fields) => hex(await H(...fields));

// Strings compare by their UTF-8 bytes, which is the order of code points.
function compareText(a, b) {
  if (a === b) return 0;
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const x = a.codePointAt(i);
    const y = b.codePointAt(i);
    if (x !== y) return x < y ? -1 : 1;
    if (x > 0xffff) i++;
  }
  return a.length < b.length ? -1 : 1;
}

// canonical is the spec's canonical JSON: keys sorted by bytes, no spaces,
// UTF-8 kept, integers only. JSON.stringify escapes strings as Python's
// json.dumps(ensure_ascii=False) does for every string the spec allows.
function canonical(v) {
  if (v === null) return 'null';
  switch (typeof v) {
    case 'string':
      return JSON.stringify(v);
    case 'boolean':
      return v ? 'true' : 'false';
    case 'number':
      if (!Number.isSafeInteger(v)) throw new Error(`${v} is not an integer`);
      return String(v);
  }
  if (Array.isArray(v)) return '[' + v.map(canonical).join(',') + ']';
  return '{' + Object.keys(v).sort(compareText).map((k) => JSON.stringify(k) + ':' + canonical(v[k])).join(',') + '}';
}

async function hashLines(rows) {
  return hex(await digest(encoder.encode(rows.map((r) => canonical(r) + '\n').join(''))));
}

class Failure extends Error {}
const fail = (message) => {
  throw new Failure(message);
};

const isHex64 = (s) => typeof s === 'string' && /^[0-9a-f]{64}$/.test(s);

function parseRatio(s) {
  const m = /^(\d+)\/(\d+)$/.exec(s || '');
  if (!m) return null;
  const p = BigInt(m[1]);
  const q = BigInt(m[2]);
  return q > 0n && p <= q ? [p, q] : null;
}

// quota: n = min(E, max(min if E > 0 else 0, ceil(p·N/q))).
function quota(rule, frame, eligible) {
  const [p, q] = parseRatio(rule.ratio);
  const n = (p * BigInt(frame) + q - 1n) / q;
  const floor = eligible > 0 ? BigInt(rule.min) : 0n;
  const m = n > floor ? n : floor;
  return Number(m < BigInt(eligible) ? m : BigInt(eligible));
}

function holdsAll(qualifications, required) {
  return (required || []).every((code) => qualifications.includes(code));
}

// Each check reads the manifest and what earlier checks found (ctx).
const checks = [
  ['算法与格式 algorithm and form', checkHeader],
  ['名单有序 lists well-formed and sorted', checkLists],
  ['输入哈希 input hashes match the lists', checkHashes],
  ['随机数与种子 nonce commitment and seed', checkSeed],
  ['各层数量 strata counts and quotas', checkStrata],
  ['抽中对象 selected entities: tickets and order', checkTasks],
  ['执法人员 teams: who, in which order, within the cap', checkTeams],
];

function checkHeader(m, ctx) {
  if (m.algorithm !== V1 && m.algorithm !== V2) fail(`algorithm: "${m.algorithm}" is neither ${V2} nor ${V1}`);
  if (m.form !== 'public') fail(`form: "${m.form}", want "public"`);
  const p = m.inputs && m.inputs.params;
  if (!p || p.algorithm !== m.algorithm) fail('inputs.params.algorithm differs from algorithm');
  ctx.v2 = m.algorithm === V2;
  ctx.alg = m.algorithm;
  return `${m.algorithm}`;
}

function checkLists(m, ctx) {
  const inp = m.inputs;
  if (!isHex64(inp.nonce)) fail('inputs.nonce: must be 64 lowercase hex characters');
  if (typeof inp.ceremony !== 'string' || inp.ceremony === '') fail('inputs.ceremony: must not be empty');
  for (const [label, rule] of Object.entries(inp.params.strata)) {
    if (!parseRatio(rule.ratio)) fail(`inputs.params.strata.${label}.ratio: malformed ratio "${rule.ratio}"`);
  }
  const sortedStrictly = (list, key, name) => {
    for (let i = 1; i < list.length; i++) {
      if (compareText(key(list[i - 1]), key(list[i])) >= 0) fail(`${name}[${i}]: not after ${name}[${i - 1}] in order`);
    }
  };
  sortedStrictly(inp.frame, (r) => r.id, 'inputs.frame');
  sortedStrictly(inp.inspectors, (r) => r.id, 'inputs.inspectors');
  inp.inspectors.forEach((r, i) => {
    const q = r.qualifications;
    for (let k = 1; k < q.length; k++) {
      if (compareText(q[k - 1], q[k]) >= 0) fail(`inputs.inspectors[${i}].qualifications: not de-duplicated and sorted`);
    }
  });
  for (const name of ['exclusions', 'conflicts']) {
    const list = inp[name];
    for (let i = 1; i < list.length; i++) {
      if (list[i - 1].commitment > list[i].commitment) fail(`inputs.${name}[${i}]: not sorted by commitment`);
    }
  }
  ctx.frameIndex = new Map(inp.frame.map((r, i) => [r.id, i]));
  ctx.inspectorIndex = new Map(inp.inspectors.map((r, i) => [r.id, i]));
  return `${inp.frame.length} 户名录, ${inp.inspectors.length} 名执法人员`;
}

async function checkHashes(m) {
  const inp = m.inputs;
  const want = {
    frame_sha256: [await hashLines(inp.frame), 'inputs.frame'],
    exclusions_sha256: [await hashLines(inp.exclusions), 'inputs.exclusions'],
    inspectors_sha256: [await hashLines(inp.inspectors), 'inputs.inspectors'],
    conflicts_sha256: [await hashLines(inp.conflicts), 'inputs.conflicts'],
    params_sha256: [hex(await digest(encoder.encode(canonical(inp.params)))), 'inputs.params'],
  };
  for (const [name, [value, source]] of Object.entries(want)) {
    if (m[name] !== value) fail(`${name} does not match ${source}: published ${m[name]}, recomputed ${value}`);
  }
  return 'frame, exclusions, inspectors, conflicts, params';
}

async function checkSeed(m, ctx) {
  const nonce = await hexH(ctx.alg + ' nonce', m.inputs.nonce);
  if (m.nonce_commitment !== nonce) fail(`nonce_commitment does not match inputs.nonce: published ${m.nonce_commitment}, recomputed ${nonce}`);
  const seed = await hexH(ctx.alg + ' seed', m.inputs.nonce, m.inputs.ceremony, m.frame_sha256, m.exclusions_sha256,
    m.inspectors_sha256, m.conflicts_sha256, m.params_sha256);
  if (m.seed !== seed) fail(`seed does not match the nonce, the ceremony and the input hashes: published ${m.seed}, recomputed ${seed}`);
  return `种子 ${seed.slice(0, 16)}…`;
}

function checkStrata(m, ctx) {
  const rules = m.inputs.params.strata;
  for (const label of Object.keys(m.strata)) {
    if (!(label in rules)) fail(`strata.${label}: not a stratum of inputs.params`);
  }
  let frame = 0;
  let excluded = 0;
  let selected = 0;
  for (const label of Object.keys(rules).sort(compareText)) {
    const s = m.strata[label];
    const path = `strata.${label}`;
    if (!s) fail(`${path}: missing`);
    if (ctx.v2) {
      if ('threshold' in s) fail(`${path}.threshold: a ${V2} public manifest publishes only the threshold's commitment`);
      if (!isHex64(s.threshold_commitment)) fail(`${path}.threshold_commitment: missing`);
    } else if ((s.threshold === null) !== (s.selected === 0)) {
      fail(`${path}.threshold: must be null exactly when nothing is selected`);
    }
    if (s.eligible < 0 || s.eligible > s.frame) fail(`${path}.eligible: ${s.eligible} is not between 0 and frame ${s.frame}`);
    const want = quota(rules[label], s.frame, s.eligible);
    if (s.selected !== want) fail(`${path}.selected: got ${s.selected}, want ${want} (frame ${s.frame}, eligible ${s.eligible}, ratio ${rules[label].ratio}, min ${rules[label].min})`);
    frame += s.frame;
    excluded += s.frame - s.eligible;
    selected += s.selected;
  }
  if (frame !== m.inputs.frame.length) fail(`strata: the frame counts add up to ${frame}, inputs.frame has ${m.inputs.frame.length} rows`);
  if (excluded !== m.inputs.exclusions.length) fail(`strata: frame minus eligible adds up to ${excluded}, inputs.exclusions has ${m.inputs.exclusions.length} rows`);
  ctx.selected = selected;
  return `抽取 ${selected} 户`;
}

async function checkTasks(m, ctx) {
  if (m.tasks.length !== ctx.selected) fail(`tasks: ${m.tasks.length} tasks, the strata select ${ctx.selected}`);
  const tickets = await Promise.all(m.tasks.map((t) => hexH('entity', m.seed, t.entity)));
  m.tasks.forEach((t, i) => {
    if (!ctx.frameIndex.has(t.entity)) fail(`tasks[${i}].entity: "${t.entity}" is not in inputs.frame`);
    if (t.ticket !== tickets[i]) fail(`tasks[${i}].ticket: got ${t.ticket}, want ${tickets[i]}, the ticket of entity "${t.entity}"`);
    if (i > 0) {
      const prev = m.tasks[i - 1];
      if (prev.ticket > t.ticket || (prev.ticket === t.ticket && compareText(prev.entity, t.entity) >= 0)) {
        fail(`tasks[${i}]: not after tasks[${i - 1}] in (ticket, entity) order`);
      }
    }
  });
  if (!ctx.v2) checkThresholds(m);
  return `${m.tasks.length} 项任务`;
}

// v1: a threshold is the ticket of a task, of one stratum only, with at
// least as many tasks at or below it as the stratum selects.
function checkThresholds(m) {
  const owner = new Map();
  for (const label of Object.keys(m.strata).sort(compareText)) {
    const s = m.strata[label];
    if (s.threshold === null) continue;
    const path = `strata.${label}.threshold`;
    if (owner.has(s.threshold)) fail(`${path}: the same as strata.${owner.get(s.threshold)}.threshold`);
    owner.set(s.threshold, label);
    const atOrBelow = m.tasks.filter((t) => t.ticket <= s.threshold);
    if (atOrBelow.length === 0 || atOrBelow[atOrBelow.length - 1].ticket !== s.threshold) fail(`${path}: ${s.threshold} is the ticket of no task`);
    if (atOrBelow.length < s.selected) fail(`${path}: only ${atOrBelow.length} tasks have a ticket at or below it, ${s.selected} selected`);
  }
}

function teamPlan(m) {
  const p = m.inputs.params;
  const bureaus = Object.keys(p.team).sort(compareText);
  const pools = new Map();
  for (const b of bureaus) {
    pools.set(b, m.inputs.inspectors.map((r, i) => i).filter((i) => {
      const r = m.inputs.inspectors[i];
      return r.bureau === b && holdsAll(r.qualifications, p.required_qualifications[b]);
    }));
  }
  return { bureaus, pools, team: p.team, cap: p.max_tasks_per_inspector };
}

async function checkTeams(m, ctx) {
  const plan = teamPlan(m);
  const taken = await Promise.all(m.tasks.map((t, i) => (ctx.v2 ? shuffledTeam(m, plan, t, i) : rankedTeam(m, plan, t, i))));
  const loads = new Map();
  let members = 0;
  taken.forEach((team, i) => {
    team.forEach((inspector, k) => {
      const load = (loads.get(inspector) || 0) + 1;
      loads.set(inspector, load);
      if (plan.cap > 0 && load > plan.cap) fail(`tasks[${i}].team[${k}].inspector: "${inspector}" is sent on more than ${plan.cap} tasks`);
      members++;
    });
  });
  return `${members} 人次`;
}

// v2: members come bureau by bureau in byte order, team[b] of each, each
// the candidate its step of the task's shuffle reaches.
async function shuffledTeam(m, plan, task, i) {
  const sending = plan.bureaus.filter((b) => plan.team[b] > 0);
  const ids = [];
  let prev = -1;
  for (let k = 0; k < task.team.length;) {
    const b = sending.indexOf(task.team[k].bureau);
    if (b < 0) fail(`tasks[${i}].team[${k}].bureau: "${task.team[k].bureau}" sends no team under params.team`);
    if (b <= prev) fail(`tasks[${i}].team[${k}].bureau: bureaus must come in byte order, each once`);
    prev = b;
    const bureau = sending[b];
    const size = plan.team[bureau];
    if (k + size > task.team.length) fail(`tasks[${i}].team: ${task.team.length - k} members of bureau "${bureau}", params.team asks for ${size}`);
    const pool = plan.pools.get(bureau);
    const moved = new Map();
    const at = (j) => (moved.has(j) ? moved.get(j) : j);
    let j = 0;
    for (let n = 0; n < size; n++, k++) {
      const member = task.team[k];
      const path = `tasks[${i}].team[${k}]`;
      if (member.bureau !== bureau) fail(`${path}.bureau: got "${member.bureau}", want "${bureau}"`);
      if (!Number.isInteger(member.step) || 'ticket' in member) fail(`${path}: a ${V2} member carries a step and no ticket`);
      if (member.step < j || member.step >= pool.length) fail(`${path}.step: ${member.step} is not after the previous step and within the pool of ${pool.length}`);
      let candidate;
      for (; j <= member.step; j++) {
        const h = await H('inspector', m.seed, task.entity, bureau, String(j));
        const r = new DataView(h.buffer).getBigUint64(0);
        const x = j + Number(r % BigInt(pool.length - j));
        const aj = at(j);
        const ax = at(x);
        moved.set(j, ax);
        moved.set(x, aj);
        candidate = m.inputs.inspectors[pool[ax]].id;
      }
      if (member.inspector !== candidate) fail(`${path}.inspector: got "${member.inspector}", want "${candidate}", whom step ${member.step} of the shuffle reaches`);
      ids.push(candidate);
    }
  }
  return ids;
}

// v1: team[b] members of every bureau of params.team, in (ticket, inspector)
// order, each with its ticket, qualified.
async function rankedTeam(m, plan, task, i) {
  const ids = [];
  let k = 0;
  for (const bureau of plan.bureaus) {
    for (let n = 0; n < plan.team[bureau]; n++, k++) {
      if (k >= task.team.length) fail(`tasks[${i}].team: ${task.team.length} members, bureau "${bureau}" needs ${plan.team[bureau]}`);
      const member = task.team[k];
      const path = `tasks[${i}].team[${k}]`;
      if (member.bureau !== bureau) fail(`${path}.bureau: got "${member.bureau}", want "${bureau}"`);
      const index = m.inputs.inspectors.findIndex((r) => r.id === member.inspector);
      if (index < 0) fail(`${path}.inspector: "${member.inspector}" is not in inputs.inspectors`);
      if (!plan.pools.get(bureau).includes(index)) fail(`${path}.inspector: "${member.inspector}" is not a qualified inspector of bureau "${bureau}"`);
      const ticket = await hexH('inspector', m.seed, task.entity, member.inspector);
      if (member.ticket !== ticket) fail(`${path}.ticket: got ${member.ticket}, want ${ticket}`);
      if (n > 0) {
        const prev = task.team[k - 1];
        if (prev.ticket > member.ticket || (prev.ticket === member.ticket && compareText(prev.inspector, member.inspector) >= 0)) {
          fail(`${path}: not after tasks[${i}].team[${k - 1}] in (ticket, inspector) order`);
        }
      }
      ids.push(member.inspector);
    }
  }
  if (k !== task.team.length) fail(`tasks[${i}].team: ${task.team.length} members, params.team asks for ${k}`);
  return ids;
}

// verifyManifest runs the checks in order; onCheck(name, ok, detail) hears
// each. It resolves to true when everything holds.
async function verifyManifest(m, onCheck) {
  const ctx = {};
  for (const [name, check] of checks) {
    try {
      onCheck(name, true, await check(m, ctx));
    } catch (err) {
      onCheck(name, false, err instanceof Failure ? err.message : `malformed manifest: ${err.message}`);
      return false;
    }
  }
  return true;
}

// checkOpening resolves to 'selected', 'not selected' or 'excluded' when
// the opening checks out against the (verified) public manifest, and
// throws a Failure naming what does not.
async function checkOpening(o, m) {
  const alg = m.algorithm;
  const v2 = alg === V2;
  if (!o || typeof o.entity !== 'string' || !o.frame_row) fail('not an opening: it has no entity and frame_row');
  if (o.frame_row.id !== o.entity) fail(`frame_row.id: "${o.frame_row.id}" is not the entity "${o.entity}"`);
  if (('units' in o.frame_row) !== v2) fail(`frame_row: not a ${alg} row`);
  const published = m.inputs.frame.find((r) => r.id === o.entity);
  if (!published) fail(`entity: "${o.entity}" is not in the public frame`);
  if (await hexH(alg + ' row', o.frame_salt, canonical(o.frame_row)) !== published.commitment) {
    fail(`frame_row: with frame_salt, does not match the commitment published for "${o.entity}"`);
  }
  const excluded = 'exclusion_row' in o || 'exclusion_salt' in o;
  if (excluded) {
    if (!o.exclusion_row || !o.exclusion_salt) fail('exclusion_row and exclusion_salt: one is given without the other');
    if (o.exclusion_row.id !== o.entity) fail(`exclusion_row.id: "${o.exclusion_row.id}" is not the entity`);
    const c = await hexH(alg + ' row', o.exclusion_salt, canonical(o.exclusion_row));
    if (!m.inputs.exclusions.some((x) => x.commitment === c)) fail('exclusion_row: with exclusion_salt, matches no published exclusion commitment');
  }
  const stratum = m.strata[o.frame_row.stratum];
  if (!stratum) fail(`frame_row.stratum: "${o.frame_row.stratum}" is not among the strata`);
  let threshold = stratum.threshold;
  if (v2) {
    if (!o.stratum_row || !o.stratum_salt) fail(`stratum_row and stratum_salt: missing; a ${V2} opening carries its stratum's threshold`);
    if (o.stratum_row.stratum !== o.frame_row.stratum) fail('stratum_row.stratum: not the stratum of frame_row');
    if (await hexH(alg + ' row', o.stratum_salt, canonical(o.stratum_row)) !== stratum.threshold_commitment) {
      fail(`stratum_row: with stratum_salt, does not match strata.${o.frame_row.stratum}.threshold_commitment`);
    }
    threshold = o.stratum_row.threshold;
  }
  const ticket = await hexH('entity', m.seed, o.entity);
  const should = !excluded && threshold !== null && ticket <= threshold;
  const task = m.tasks.findIndex((t) => t.entity === o.entity);
  if (should && task < 0) fail(`entity "${o.entity}" is not among the tasks, but its ticket ${ticket} is at most its stratum's threshold ${threshold}`);
  if (!should && task >= 0) fail(`entity "${o.entity}" is among the tasks, but ${excluded ? 'it was excluded' : 'its ticket is above its stratum\'s threshold'}`);
  if (excluded) return 'excluded';
  if (!should) return 'not selected';
  if (v2) {
    const units = o.frame_row.units;
    const sent = new Set();
    m.tasks[task].team.forEach((member, k) => {
      if (!(member.bureau in units)) fail(`tasks[${task}].team[${k}].bureau: "${member.bureau}" does not supervise entity "${o.entity}"`);
      sent.add(member.bureau);
      const unit = units[member.bureau];
      const inspector = m.inputs.inspectors.find((r) => r.id === member.inspector);
      if (m.inputs.params.cross_unit && unit !== '' && inspector && inspector.unit === unit) {
        fail(`tasks[${task}].team[${k}].inspector: "${member.inspector}" is of the entity's unit "${unit}", which cross_unit forbids`);
      }
    });
    for (const bureau of Object.keys(units)) {
      if (m.inputs.params.team[bureau] > 0 && !sent.has(bureau)) fail(`tasks[${task}].team: no member of bureau "${bureau}", which supervises entity "${o.entity}"`);
    }
  }
  return 'selected';
}

// The page: a button that verifies the published manifest (or a file the
// reader chooses), and a box for an entity's opening.
const fateText = {
  selected: '依规被抽中 rightly selected',
  'not selected': '依规未被抽中 rightly not selected',
  excluded: '依规被排除 rightly excluded (not drawn this time)',
};

function show(list, name, ok, detail) {
  const li = document.createElement('li');
  li.className = ok ? 'pass' : 'fail';
  li.textContent = `${ok ? '✓' : '✗'} ${name}：${detail}`;
  list.appendChild(li);
}

async function runVerification(root, manifest, label) {
  const status = root.querySelector('#verify-status');
  const list = root.querySelector('#verify-checks');
  list.textContent = '';
  status.className = 'verdict running';
  status.textContent = `正在核验 ${label}…`;
  const started = performance.now();
  const ok = await verifyManifest(manifest, (name, pass, detail) => show(list, name, pass, detail));
  const seconds = ((performance.now() - started) / 1000).toFixed(2);
  status.className = ok ? 'verdict pass' : 'verdict fail';
  status.textContent = ok ? `全部核验通过 (all checks hold, ${seconds} s): ${label}` : `核验未通过 (a check fails): ${label}`;
  root.dataset.verified = ok ? 'pass' : 'fail';
  root.dataset.seconds = seconds;
  return ok;
}

async function loadManifest(url) {
  const res = await fetch(url, { cache: 'no-store' });
  if (!res.ok) throw new Error(`${url}: ${res.status}`);
  return res.json();
}

function setUp(root) {
  const url = root.dataset.manifest;
  let published = null;
  const manifest = async () => (published ||= await loadManifest(url));
  const report = (err) => {
    const status = root.querySelector('#verify-status');
    status.className = 'verdict fail';
    status.textContent = `无法读取 (cannot read): ${err.message}`;
    root.dataset.verified = 'fail';
  };
  root.querySelector('#verify-published').addEventListener('click', async () => {
    try {
      await runVerification(root, await manifest(), '本次抽取的公开清单 the published manifest');
    } catch (err) {
      report(err);
    }
  });
  root.querySelector('#verify-file').addEventListener('change', async (ev) => {
    const file = ev.target.files[0];
    if (!file) return;
    try {
      await runVerification(root, JSON.parse(await file.text()), file.name);
    } catch (err) {
      report(err);
    }
  });
  const openingOut = root.querySelector('#opening-result');
  root.querySelector('#check-opening').addEventListener('click', async () => {
    openingOut.className = 'verdict running';
    openingOut.textContent = '正在核对…';
    try {
      const m = await manifest();
      const ok = await verifyManifest(m, () => {});
      if (!ok) fail('the published manifest itself does not verify: press the button above to see why');
      const fate = await checkOpening(JSON.parse(root.querySelector('#opening').value), m);
      openingOut.className = 'verdict pass';
      openingOut.textContent = `核对无误：${fateText[fate]}`;
      openingOut.dataset.fate = fate;
    } catch (err) {
      openingOut.className = 'verdict fail';
      openingOut.textContent = `核对未通过 (does not check out): ${err.message}`;
      openingOut.dataset.fate = 'fail';
    }
  });
}

const root = document.getElementById('draw-verifier');
if (root) setUp(root);
