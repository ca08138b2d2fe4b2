/**
 * Schedule files: the issue's example is accepted as written; every mistake in a file is reported
 * in one pass, each at its exact line and column with its field; names are unique across files;
 * JSON gets positions too; hostile YAML (alias bombs, huge files) is refused without hanging.
 */
import assert from 'node:assert/strict';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { formatIssue, type ScheduleIssue } from '../../../src/scheduler/schedule-source.js';
import { checkSource, loadSchedules } from '../../../src/scheduler/schedule-load.js';
import { schemaPath } from '../../../src/scheduler/schedule-schema.js';
import { tempDir } from '../../helpers/tmp.js';

const EXAMPLE = fileURLToPath(new URL('../../../../schedules/example.yaml', import.meta.url));

const at = (issues: ScheduleIssue[]) => issues.map((i) => `${i.line}:${i.column} ${i.severity} ${i.job ?? '-'} ${i.field}: ${i.message}`);

test('the example from the issue is valid as written, and means what it says', async () => {
  const { jobs, issues } = checkSource('example.yaml', await readFile(EXAMPLE, 'utf8'));
  assert.deepEqual(issues, []);
  const [nightly, drill] = jobs;
  assert.equal(nightly?.name, 'nightly-app');
  assert.equal(nightly.timezone, 'Europe/Berlin');
  assert.equal(nightly.timeoutMs, 2 * 3600 * 1000);
  assert.deepEqual(nightly.notify, { webhooks: ['https://hooks.example/lifeboat'], on: 'failure' });
  assert.ok(nightly.task.kind === 'backup');
  assert.deepEqual(nightly.task.containers, { names: ['app'], labels: [] });
  assert.deepEqual(nightly.task.volumes, ['shared-uploads']);
  assert.deepEqual(nightly.task.retention, { last: 3, daily: 7, weekly: 4, monthly: 6 });
  assert.equal(nightly.task.consistency.mode, 'pause');
  assert.equal(nightly.task.verify, true);
  assert.equal(nightly.task.repository?.url, 'sftp://backup@nas.example:22/srv/lifeboat');
  assert.equal(drill?.name, 'weekly-drill');
  assert.ok(drill.task.kind === 'drill');
  assert.deepEqual(drill.task.containers.names, ['app']);
  assert.equal(drill.source.line, 13);
});

test('every mistake of a file is reported at its line, column and field', () => {
  const text = [
    'jobs:', //                                                              1
    '  - name: nightly', //                                                  2
    '    cron: "0 61 2 * * *"', //                                           3
    '    timezone: Europe/Berlinn', //                                       4
    '    containers: [app]', //                                              5
    '    repository: /srv/repo', //                                          6
    '    retension: { keep-last: 3 }', //                                    7
    '    retention: { keep-last: -2, keep-within: 7q, keep_weekly: 3 }', //  8
    '    consistency: freeze', //                                            9
    '    notify: { webhook: "ftp://x", on: sometimes }', //                  10
    '    timeout: 2 hours', //                                               11
    '    images: [busybox]', //                                              12
    '  - name: nightly', //                                                  13
    '    cron: "* * *"', //                                                  14
    '    drill: { containers: [app] }', //                                   15
    '    retention: { keep-last: 0 }', //                                    16
    '  - cron: "0 0 * * *"', //                                              17
    '    volumes: ["bad name"]', //                                          18
    '    selector: { label: "=x" }', //                                      19
    '    repository: ftp://nope/x', //                                       20
  ].join('\n');
  const { jobs, issues } = checkSource('bad.yaml', text);
  assert.deepEqual(jobs, []);
  assert.deepEqual(at(issues).sort(), [
    '12:5 error nightly images: images are not backed up on their own: each container backup carries its image, and a repository holds container backups (for an image archive use `lifeboat save`)',
    '15:12 error nightly drill: missing field "repository"',
    '16:5 error nightly retention: a drill job restores and starts backups; "retention" belongs to a backup job',
    '17:5 error - jobs[2]: missing field "name"',
    '18:15 error - jobs[2].volumes[0]: invalid volume name "bad name": only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed',
    '19:24 error - jobs[2].selector.label: "=x" is not a label selector: use key=value or key',
    '20:17 error - jobs[2].repository: repositories on ftp:// are not supported yet',
    '3:11 error nightly cron: invalid cron line "0 61 2 * * *": minute: 61 is a invalid expression for minute',
    '4:15 error nightly timezone: unknown time zone "Europe/Berlinn" (use an IANA name such as Europe/Berlin or UTC)',
    '7:5 error nightly retension: unknown field "retension" (did you mean retention?)',
    '8:29 error nightly retention.keep-last: must be a whole number of snapshots, or -1 for unlimited',
    '8:46 error nightly retention.keep-within: must be a duration in years, months, days and hours, such as 1y6m, 7d or 2d12h',
    '8:50 error nightly retention.keep_weekly: unknown field "keep_weekly" (did you mean keep-weekly?)',
    '9:18 error nightly consistency: must be pause, stop or none, or an object { mode, hooks: { before, after } }',
    '10:24 error nightly notify.webhook: "ftp://x" is not an http(s) URL',
    '10:39 error nightly notify.on: must be one of failure, success, always',
    '11:14 error nightly timeout: must be a duration such as 90s, 30m, 2h or 1h30m (a bare number is seconds)',
    '14:11 error nightly cron: invalid cron line "* * *": expected 5 or 6 fields but got 3',
  ].sort());
});

test('table: one mistake each, with the message a user needs', () => {
  const cron = '    cron: "*/5 * * * *"';
  const cases: Array<[string, string[], string]> = [
    ['wrong type', ['    cron: 5', '    volumes: [v]'], '3:11 error j cron: must be string'],
    ['nothing to back up', [cron], '2:5 error j jobs[0]: nothing to do: give containers, a selector or volumes to back up (or drill: for a restore drill)'],
    ['an empty list is nothing', [cron, '    containers: []', '    repository: /r'], '2:5 error j jobs[0]: nothing to do: give containers, a selector or volumes to back up (or drill: for a restore drill)'],
    ['containers need a repository', [cron, '    containers: [web]'], '2:5 error j jobs[0]: containers are backed up to a repository: add repository: (a path or sftp:// URL)'],
    ['every rule 0', [cron, '    volumes: [v]', '    retention: { keep-last: 0, keep-daily: 0 }'], '5:16 error j retention: every rule is 0: this policy would forget every backup, even the newest (leave retention out to keep everything)'],
    ['empty retention', [cron, '    volumes: [v]', '    retention: {}'], '5:16 error j retention: must have at least one rule (an empty policy would keep everything)'],
    ['zero within', [cron, '    volumes: [v]', '    retention: { keep-within: 0d }'], '5:31 error j retention.keep-within: a zero duration keeps nothing'],
    ['hooks twice', [cron, '    volumes: [v]', '    consistency: { mode: stop, hooks: { before: "sync" } }', '    hooks: { after: "true" }'], '6:5 error j hooks: hooks are given twice: here and under consistency'],
    ['a tiny timeout', [cron, '    volumes: [v]', '    timeout: 10ms'], '5:14 error j timeout: must be at least 1s'],
    ['drill with backup fields', [cron, '    drill: { containers: [a], repository: /r }', '    verify: true'], '5:5 error j verify: a drill job restores and starts backups; "verify" belongs to a backup job'],
    ['bad selector list item', [cron, '    repository: /r', '    selector: { label: [tier=db, "bad key"] }'], '5:34 error j selector.label[1]: "bad key" is not a label selector: use key=value or key'],
    ['fine: seconds optional, object forms', [cron, '    selector: { label: [backup=true, tier] }', '    repository: { url: sftp://u@h/r, identity: id_ed25519 }', '    consistency: { mode: none }', '    catchUp: true'], ''],
  ];
  for (const [what, lines, expected] of cases) {
    const { issues, jobs } = checkSource('t.yaml', ['jobs:', '  - name: j', ...lines].join('\n'));
    assert.deepEqual(at(issues), expected ? [expected] : [], what);
    assert.equal(jobs.length, expected ? 0 : 1, `${what}: a job with an error never runs`);
  }
});

test('a job name is unique across every file of the directory; the first definition is named', async (t) => {
  const dir = await tempDir(t);
  await writeFile(join(dir, 'a.yaml'), 'jobs:\n  - name: nightly\n    cron: "@daily"\n    volumes: [data]\n');
  await writeFile(join(dir, 'b.json'), '{"jobs": [\n  {"name": "nightly", "cron": "@hourly", "volumes": ["logs"]},\n  {"name": "other", "cron": "@hourly", "volumes": ["logs"]}\n]}\n');
  await writeFile(join(dir, 'schema.json'), '{"not": "a schedule"}');
  await writeFile(join(dir, 'notes.txt'), 'ignored');
  const r = await loadSchedules({ dir });
  assert.deepEqual(r.files, [join(dir, 'a.yaml'), join(dir, 'b.json')]);
  assert.deepEqual(r.issues.map(formatIssue), [`${join(dir, 'b.json')}:2:12: error: job nightly: name: duplicate job name: "nightly" is already defined at ${join(dir, 'a.yaml')}:2`]);
  assert.deepEqual(r.jobs.map((j) => `${j.name} ${j.cron}`), ['nightly @daily', 'other @hourly'], 'the first definition stays; the duplicate is dropped');
});

test('syntax errors have positions; hostile YAML is refused quickly', () => {
  assert.deepEqual(at(checkSource('s.yaml', 'jobs:\n  - name: a\n    name: b\n').issues), ['3:5 error - : Map keys must be unique (a field is given twice)']);
  assert.deepEqual(at(checkSource('s.yaml', 'jobs: [\n  { name: a,\n').issues).length > 0, true);
  const bomb = ['a: &a ["x","x","x","x","x","x","x","x","x"]', ...Array.from({ length: 8 }, (_, i) => `${String.fromCharCode(98 + i)}: &${String.fromCharCode(98 + i)} [*${String.fromCharCode(97 + i)},*${String.fromCharCode(97 + i)},*${String.fromCharCode(97 + i)},*${String.fromCharCode(97 + i)},*${String.fromCharCode(97 + i)},*${String.fromCharCode(97 + i)},*${String.fromCharCode(97 + i)},*${String.fromCharCode(97 + i)},*${String.fromCharCode(97 + i)}]`), 'jobs: *i'].join('\n');
  const started = Date.now();
  const r = checkSource('bomb.yaml', bomb);
  assert.ok(Date.now() - started < 2000, 'an alias bomb does not expand');
  assert.equal(r.issues[0]?.severity, 'error');
  assert.match(r.issues[0]!.message, /alias/i);
  const huge = checkSource('huge.yaml', `jobs: []\n#${'x'.repeat(1024 * 1024)}`);
  assert.match(huge.issues[0]!.message, /larger than/);
});

test('the shipped schema is the one in schedules/ and is valid JSON Schema with descriptions', async () => {
  assert.ok(schemaPath().endsWith(join('schedules', 'schema.json')));
  const schema = JSON.parse(await readFile(schemaPath(), 'utf8')) as { definitions: { job: { properties: Record<string, unknown> } } };
  for (const f of ['name', 'cron', 'timezone', 'containers', 'selector', 'volumes', 'repository', 'consistency', 'retention', 'verify', 'drill', 'notify', 'timeout', 'catchUp']) {
    assert.ok(f in schema.definitions.job.properties, `schema documents ${f}`);
  }
});
