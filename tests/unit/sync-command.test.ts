/**
 * The sync command's word splitting against its reference, Python's shlex.split (POSIX mode),
 * and the refusals that keep a shell-less command from meaning something else than it would in a
 * terminal.
 */
import { spawnSync } from 'child_process';
import { splitCommandLine, substitutePlaceholders, syncCommandProblem } from '../../lib/config/sync-command';

const LINES = [
  'rclone sync {run_dir} b2:bucket/runs/{run_name}',
  "aws s3 sync {run_dir} 's3://my bucket/runs/{run_name}' --exclude '*.tmp'",
  'rsync -a --delete {run_dir}/ backup@host:"runs/{run_name} copy"',
  'cp -r   {checkpoint_dir}\tdest\\ dir/{checkpoint}',
  'echo "a \\"quoted\\" word" \'it\'\'s\' x\\ y',
  'gsutil -m rsync -r {run_dir} gs://b/x=1,y=2 --flag=a#b',
  '',
  '   ',
];

test('splits like shlex.split', () => {
  const py = spawnSync('python3', ['-c', 'import json, shlex, sys; print(json.dumps([shlex.split(l) for l in json.loads(sys.stdin.read())]))'], { input: JSON.stringify(LINES), encoding: 'utf8' });
  expect(py.status).toBe(0);
  const expected = JSON.parse(py.stdout) as string[][];
  expect(LINES.map(splitCommandLine)).toEqual(expected);
});

test('placeholders are replaced after splitting, so a path with spaces stays one argument', () => {
  const words = splitCommandLine("rclone sync {run_dir} 'remote:runs/{run_name}' --tag step-{step}");
  expect(substitutePlaceholders(words, { run_dir: '/data/my runs/a b', run_name: 'a b', checkpoint_dir: '', checkpoint: '', step: '42' })).toEqual([
    'rclone', 'sync', '/data/my runs/a b', 'remote:runs/a b', '--tag', 'step-42',
  ]);
});

test.each([
  ['rclone sync {run_dir} x | tee', /'\|' at character 25 means something to a shell/],
  ['rclone sync $HOME/x y', /'\$' at character 13/],
  ['rclone sync "$HOME" y', /inside double quotes would be expanded by a shell/],
  ['rclone sync {run_dir} *.ckpt', /'\*'/],
  ["echo 'open", /unterminated ' quote/],
  ['echo "open', /unterminated " quote/],
  ['echo x\\', /trailing backslash/],
  ['rclone sync {rundir} x', /unknown placeholder \{rundir\}/],
  ['  ', /is empty/],
])('%s is refused', (line, message) => {
  expect(syncCommandProblem(line)).toMatch(message);
});
