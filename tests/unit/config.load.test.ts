/**
 * loadConfig: files, the embedded default, YAML syntax errors with their line, key lines in
 * validation errors, --set overrides, shorthand flags and their precedence.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as yaml from 'js-yaml';
import fc from 'fast-check';
import { ConfigError } from '../../lib/config/errors';
import { DEFAULT_CONFIG_FILE, loadConfig, parseConfigText, resolvedConfigToYaml } from '../../lib/config/load';
import { KeyLocator } from '../../lib/config/locate';
import { SHORTHAND_FLAGS, shorthandValuesFromOptions } from '../../lib/config/shorthands';
import { validateConfig } from '../../lib/config/validate';

const ROOT = path.resolve(__dirname, '../..');

function errorOf(fn: () => unknown): ConfigError {
  try {
    fn();
  } catch (e) {
    if (e instanceof ConfigError) return e;
    throw e;
  }
  throw new Error('expected a ConfigError');
}
const parseError = (text: string, opts: { sets?: string[]; flags?: Record<string, string | number | boolean> } = {}) =>
  errorOf(() => parseConfigText(text, { file: 'run.yaml', ...opts }));

let tmp: string;
beforeAll(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'train-native-config-'));
});
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));
function write(name: string, text: string): string {
  const p = path.join(tmp, name);
  fs.writeFileSync(p, text);
  return p;
}

describe('files', () => {
  test('no file: the embedded configs/quickstart.yaml', () => {
    expect(DEFAULT_CONFIG_FILE).toBe(path.join(ROOT, 'configs', 'quickstart.yaml'));
    const r = loadConfig();
    expect(r.file).toBe(DEFAULT_CONFIG_FILE);
    expect(r.text).toBe(fs.readFileSync(DEFAULT_CONFIG_FILE, 'utf8'));
    expect(r.config.DATA.SOURCE).toBe('synthetic:classification');
    expect(r.config.MODEL.TYPE).toBe('mlp');
    expect(r.config.OPTIMIZER.NAME).toBe('adamw');
    expect(r.config.LR_SCHEDULER.NAME).toBe('cosine');
    expect(r.config.SCHEDULE.VALIDATION.INTERVAL_EPOCHS).toBe(1);
    expect(r.config.SCHEDULE.CHECKPOINT.INTERVAL_EPOCHS).toBe(1);
    expect(r.config.SCHEDULE.CHECKPOINT.KEEP_LAST_N).toBe(2);
    // Small enough to train quickly on a CPU: 64 steps an epoch, 8 epochs.
    expect(r.config.DATA.TRAIN_SAMPLES! / r.config.DATA.BATCH_SIZE).toBe(64);
    expect(r.config.TRAIN.EPOCHS).toBe(8);
  });

  test('configs/example.yaml loads and resolves to exactly the defaults', () => {
    const r = loadConfig({ file: path.join(ROOT, 'configs', 'example.yaml') });
    expect(r.config).toEqual(validateConfig({}));
  });

  test('a file path is read relative to the working directory; the text comes back', () => {
    const p = write('a.yaml', 'TRAIN:\n  EPOCHS: 3\n');
    const r = loadConfig({ file: p });
    expect(r.config.TRAIN.EPOCHS).toBe(3);
    expect(r.text).toBe('TRAIN:\n  EPOCHS: 3\n');
    expect(r.file).toBe(p);
  });

  test('a missing file', () => {
    const p = path.join(tmp, 'nope.yaml');
    expect(errorOf(() => loadConfig({ file: p })).message).toBe(`config error: ${p}: cannot read config file: no such file`);
  });

  test('an empty file is an all-defaults config; a non-mapping is an error', () => {
    expect(parseConfigText('# nothing\n')).toEqual(validateConfig({}));
    expect(parseError('- 1\n- 2\n').message).toBe(
      'config error: run.yaml:1: expected a mapping of sections (EXPERIMENT:, DATA:, …) at the top level',
    );
  });
});

describe('YAML syntax errors give their line', () => {
  test('bad indentation', () => {
    const e = parseError('TRAIN:\n  EPOCHS: 3\n   ACCUMULATION_STEPS: 2\n');
    expect(e.line).toBe(3);
    expect(e.message).toBe('config error: run.yaml:3: YAML syntax error: bad indentation of a mapping entry');
  });
  test('unclosed flow sequence', () => {
    const e = parseError('MODEL:\n  HIDDEN_SIZES: [64, 64\nTRAIN:\n  EPOCHS: 3\n');
    expect(e.message).toMatch(/^config error: run\.yaml:\d+: YAML syntax error: /);
    expect(e.line).toBeGreaterThanOrEqual(2);
  });
  test('duplicated key', () => {
    const e = parseError('TRAIN:\n  EPOCHS: 3\n  EPOCHS: 4\n');
    expect(e.message).toBe('config error: run.yaml:3: YAML syntax error: duplicated mapping key');
  });
});

describe('validation errors name the line of the key', () => {
  const text = [
    '# a comment',
    'EXPERIMENT:',
    '  NAME: run',
    '',
    'LR_SCHEDULER:',
    '  NAME: cosine',
    '  BASE_LR: 1.0e-3  # peak',
    '  WARMUP_STEPS: 100',
    '  PARAMETER_GROUPS:',
    '    - NAME: head',
    '      PATTERNS: ["head.*"]',
    '    - NAME: bias',
    '      PATTERNS:',
    '        - "*.bias"',
    '      LR_SCHEDULER:',
    '        NAME: constant',
    'SCHEDULE:',
    '  CHECKPOINT:',
    '    KEEP_LAST_N: 2',
  ];
  const withLine = (i: number, line: string) => {
    const t = [...text];
    t[i] = line;
    return t.join('\n');
  };

  test('a nested key', () => {
    const e = parseError(withLine(6, '  BASE_LR: -1'));
    expect(e.message).toBe('config error: run.yaml:7: LR_SCHEDULER.BASE_LR: must be >= 0, got -1');
    expect(e.line).toBe(7);
    expect(e.file).toBe('run.yaml');
    expect(e.keyPath).toBe('LR_SCHEDULER.BASE_LR');
  });

  test('a key inside a list item', () => {
    const e = parseError(withLine(15, '        NAME: cosin'));
    expect(e.message).toBe(
      "config error: run.yaml:16: LR_SCHEDULER.PARAMETER_GROUPS[1].LR_SCHEDULER.NAME: unknown scheduler 'cosin' (did you mean 'cosine'? allowed: constant, none, linear, cosine, polynomial, step, multistep, exponential, inverse_sqrt, cosine_restart, onecycle, wsd, plateau)",
    );
  });

  test('the first key of a list item, and a list element', () => {
    expect(parseError(withLine(11, '    - NAME: head')).message).toBe(
      "config error: run.yaml:12: LR_SCHEDULER.PARAMETER_GROUPS[1].NAME: duplicate group name 'head' (also LR_SCHEDULER.PARAMETER_GROUPS[0].NAME)",
    );
    expect(parseError(withLine(13, '        - 5')).message).toBe(
      'config error: run.yaml:14: LR_SCHEDULER.PARAMETER_GROUPS[1].PATTERNS[0]: expected a string, got number 5 (quote it: \'5\')',
    );
  });

  test('an unknown key, and a conflict pointing at the second key', () => {
    expect(parseError(withLine(18, '    KEEP_LAST: 2')).message).toBe(
      "config error: run.yaml:19: SCHEDULE.CHECKPOINT.KEEP_LAST: unknown key 'KEEP_LAST' (did you mean 'KEEP_LAST_N'?)",
    );
    expect(parseError(withLine(5, '  WARMUP_FRACTION: 0.1')).message).toBe(
      'config error: run.yaml:8: LR_SCHEDULER.WARMUP_STEPS: conflicts with LR_SCHEDULER.WARMUP_FRACTION: give only one of WARMUP_STEPS, WARMUP_FRACTION, WARMUP_EPOCHS',
    );
  });

  test('a key not in the file (a default) points at its nearest enclosing key', () => {
    // NAME onecycle + WARMUP_STEPS: the error is on WARMUP_STEPS (line 8).
    expect(parseError(withLine(5, '  NAME: onecycle')).line).toBe(8);
    // STEP without DECAY_*: on NAME (line 6).
    expect(parseError(withLine(5, '  NAME: step')).line).toBe(6);
    // An element in a flow list has no line of its own: the key's line.
    expect(parseError(withLine(10, '      PATTERNS: ["head.*", 7]')).line).toBe(11);
  });
});

describe('KeyLocator', () => {
  test('block mappings, sequences of mappings, nested sequences, quoted keys, block scalars', () => {
    const loc = new KeyLocator(
      [
        'A:', //                       1
        '  B: 1', //                   2
        '  LIST:', //                  3
        '  - X: 1', //                 4  (sequence at the parent's indentation)
        '    Y: 2', //                 5
        '  -   X: 3', //               6
        '  NOTE: |', //                7
        '    C: not a key', //         8
        '    - not an item', //        9
        '  "Q": 1', //                 10
        'D:', //                       11
        '  - - 1', //                  12
        '    - 2', //                  13
        '  -', //                      14
        '    E: 5', //                 15
        'F: {G: 1}', //               16
      ].join('\n'),
    );
    expect(loc.exact('A')).toBe(1);
    expect(loc.exact('A.B')).toBe(2);
    expect(loc.exact('A.LIST[0]')).toBe(4);
    expect(loc.exact('A.LIST[0].X')).toBe(4);
    expect(loc.exact('A.LIST[0].Y')).toBe(5);
    expect(loc.exact('A.LIST[1].X')).toBe(6);
    expect(loc.exact('A.NOTE')).toBe(7);
    expect(loc.exact('A.NOTE.C')).toBeUndefined();
    expect(loc.exact('A.Q')).toBe(10);
    expect(loc.exact('D[0][0]')).toBe(12);
    expect(loc.exact('D[0][1]')).toBe(13);
    expect(loc.exact('D[1].E')).toBe(15);
    expect(loc.exact('F.G')).toBeUndefined();
    expect(loc.line('F.G')).toBe(16);
    expect(loc.line('A.LIST[1].Z')).toBe(6);
    expect(loc.line('NOWHERE.X')).toBeUndefined();
  });
});

describe('--set', () => {
  test('values are YAML scalars or flow collections', () => {
    const c = parseConfigText('', {
      sets: [
        'TRAIN.EPOCHS=5',
        'LR_SCHEDULER.BASE_LR=1e-4',
        'DATA.DROP_LAST=false',
        'MODEL.HIDDEN_SIZES=[32, 16]',
        'EXPERIMENT.NAME=my-run',
        'LR_SCHEDULER.MIN_LR=5.0e-7',
      ],
    });
    expect(c.TRAIN.EPOCHS).toBe(5);
    expect(c.LR_SCHEDULER.BASE_LR).toBe(1e-4);
    expect(c.DATA.DROP_LAST).toBe(false);
    expect(c.MODEL.HIDDEN_SIZES).toEqual([32, 16]);
    expect(c.EXPERIMENT.NAME).toBe('my-run');
    expect(c.LR_SCHEDULER.MIN_LR).toBe(5e-7);
  });

  test('overrides the file, creates missing sections, reaches into list items', () => {
    const text = 'LR_SCHEDULER:\n  PARAMETER_GROUPS:\n    - NAME: head\n      PATTERNS: [head.*]\n';
    const c = parseConfigText(text, {
      sets: ['LR_SCHEDULER.PARAMETER_GROUPS[0].LR_MULTIPLIER=10', 'SCHEDULE.CHECKPOINT.GENERATE.LOG_BASE=3', 'LR_SCHEDULER.PARAMETER_GROUPS.0.NAME=top'],
    });
    expect(c.LR_SCHEDULER.PARAMETER_GROUPS[0]).toMatchObject({ NAME: 'top', LR_MULTIPLIER: 10 });
    expect(c.SCHEDULE.CHECKPOINT.GENERATE!.LOG_BASE).toBe(3);
    // GENERATE replaced the default interval method rather than conflicting with it.
    expect(c.SCHEDULE.CHECKPOINT.INTERVAL_EPOCHS).toBeUndefined();
  });

  test('an empty value removes the key, so its default applies', () => {
    const c = parseConfigText('TRAIN:\n  EPOCHS: 3\n', { sets: ['TRAIN.EPOCHS='] });
    expect(c.TRAIN.EPOCHS).toBe(10);
  });

  test('a bad key path gets the did-you-mean error, marked as coming from --set', () => {
    expect(parseError('', { sets: ['LR_SCHEDULER.WARMUP_EPOCH=2'] }).message).toBe(
      "config error: LR_SCHEDULER.WARMUP_EPOCH: unknown key 'WARMUP_EPOCH' (did you mean 'WARMUP_EPOCHS'?) (from --set LR_SCHEDULER.WARMUP_EPOCH=2)",
    );
    expect(parseError('', { sets: ['LR_SCHEDULR.BASE_LR=2'] }).message).toBe(
      "config error: LR_SCHEDULR: unknown key 'LR_SCHEDULR' (did you mean 'LR_SCHEDULER'?) (from --set LR_SCHEDULR.BASE_LR=2)",
    );
    expect(parseError('', { sets: ['TRAIN.WARMUP_EPOCHS=2'] }).message).toBe(
      "config error: TRAIN.WARMUP_EPOCHS: unknown key 'WARMUP_EPOCHS' in TRAIN (did you mean LR_SCHEDULER.WARMUP_EPOCHS? WARMUP_EPOCHS belongs in another section) (from --set TRAIN.WARMUP_EPOCHS=2)",
    );
  });

  test('a bad value is marked as coming from --set, without a file line', () => {
    const e = parseError('DATA:\n  BATCH_SIZE: 8\n', { sets: ['DATA.BATCH_SIZE=0'] });
    expect(e.message).toBe('config error: DATA.BATCH_SIZE: must be in [1, 16777216], got 0 (from --set DATA.BATCH_SIZE=0)');
    expect(e.line).toBeUndefined();
  });

  test('malformed --set', () => {
    expect(parseError('', { sets: ['TRAIN.EPOCHS'] }).message).toBe(
      "config error: --set expects KEY.PATH=VALUE (e.g. LR_SCHEDULER.BASE_LR=3e-4), got 'TRAIN.EPOCHS'",
    );
    expect(parseError('', { sets: ['=5'] }).message).toBe(
      "config error: --set expects KEY.PATH=VALUE (e.g. LR_SCHEDULER.BASE_LR=3e-4), got '=5'",
    );
    expect(parseError('', { sets: ['MODEL.HIDDEN_SIZES=[1,'] }).message).toMatch(
      /^config error: MODEL\.HIDDEN_SIZES: cannot parse the value '\[1,' as YAML: .* \(from --set MODEL\.HIDDEN_SIZES=\[1,\)$/,
    );
    expect(parseError('', { sets: ['LR_SCHEDULER.PARAMETER_GROUPS[3].NAME=x'] }).message).toBe(
      'config error: LR_SCHEDULER.PARAMETER_GROUPS[3]: no list entry 3 (the list has 0 entries) (from --set LR_SCHEDULER.PARAMETER_GROUPS[3].NAME=x)',
    );
  });

  test('replaces the sibling of a one-of group given in the file', () => {
    const c = parseConfigText('LR_SCHEDULER:\n  WARMUP_FRACTION: 0.1\n', { sets: ['LR_SCHEDULER.WARMUP_STEPS=50'] });
    expect(c.LR_SCHEDULER.WARMUP_STEPS).toBe(50);
    expect(c.LR_SCHEDULER.WARMUP_FRACTION).toBeUndefined();
    const d = parseConfigText('SCHEDULE:\n  CHECKPOINT:\n    GENERATE:\n      LOG_BASE: 2\n', { sets: ['SCHEDULE.CHECKPOINT.INTERVAL_STEPS=100'] });
    expect(d.SCHEDULE.CHECKPOINT.GENERATE).toBeUndefined();
    expect(d.SCHEDULE.CHECKPOINT.INTERVAL_STEPS).toBe(100);
  });

  test('two --set of one group conflict', () => {
    expect(parseError('', { sets: ['LR_SCHEDULER.WARMUP_STEPS=5', 'LR_SCHEDULER.WARMUP_EPOCHS=1'] }).message).toBe(
      'config error: LR_SCHEDULER.WARMUP_EPOCHS: conflicts with LR_SCHEDULER.WARMUP_STEPS (from --set LR_SCHEDULER.WARMUP_STEPS=5): give only one of WARMUP_STEPS, WARMUP_FRACTION, WARMUP_EPOCHS (from --set LR_SCHEDULER.WARMUP_EPOCHS=1)',
    );
  });

  test('unsetting a member (KEY=null) and setting its rival in the same layer is no conflict', () => {
    const c = parseConfigText('DATA:\n  VAL_PATH: v\n', { sets: ['DATA.VAL_PATH=null', 'DATA.VAL_FRACTION=0.2'] });
    expect(c.DATA.VAL_PATH).toBeUndefined();
    expect(c.DATA.VAL_FRACTION).toBe(0.2);
  });

  test('numeric strings in the file and from --set', () => {
    const c = parseConfigText('LR_SCHEDULER:\n  BASE_LR: "5e-5"\n  MIN_LR: 5e-7\n', { sets: ['TRAIN.EPOCHS="4"'] });
    expect(c.LR_SCHEDULER.BASE_LR).toBe(5e-5);
    expect(c.LR_SCHEDULER.MIN_LR).toBe(5e-7);
    expect(c.TRAIN.EPOCHS).toBe(4);
  });
});

describe('shorthand flags', () => {
  test('the table: seed 002 flags, their keys and commander option strings', () => {
    expect(SHORTHAND_FLAGS.map((f) => [f.commander, f.keyPath])).toEqual([
      ['--lr <float>', 'LR_SCHEDULER.BASE_LR'],
      ['--stage2-lr <float>', 'STAGES.STAGE2.LR_SCHEDULER.BASE_LR'],
      ['--scheduler <name>', 'LR_SCHEDULER.NAME'],
      ['--min-lr <float>', 'LR_SCHEDULER.MIN_LR'],
      ['--warmup-epochs <epochs>', 'LR_SCHEDULER.WARMUP_EPOCHS'],
      ['--t-mult <int>', 'LR_SCHEDULER.T_MULT'],
      ['--epochs <int>', 'TRAIN.EPOCHS'],
      ['--batch-size <int>', 'DATA.BATCH_SIZE'],
      ['--accumulation-steps <int>', 'TRAIN.ACCUMULATION_STEPS'],
      ['--resume-from <dir>', 'TRAIN.RESUME_FROM'],
      ['--skip-stage1', 'STAGES.SKIP_STAGE1'],
      ['--stage1-epochs <int>', 'STAGES.STAGE1.EPOCHS'],
      ['--stage2-batch-size <int>', 'STAGES.STAGE2.BATCH_SIZE'],
      ['--progressive-unfreeze', 'STAGES.STAGE2.PROGRESSIVE_UNFREEZE'],
      ['--weights-only', 'TRAIN.RESUME_WEIGHTS_ONLY'],
      ['--output-dir <dir>', 'EXPERIMENT.OUTPUT_DIR'],
      ['--use-expandable-segments', 'TRAIN.EXPANDABLE_SEGMENTS'],
      ['--sync-command <cmd>', 'SCHEDULE.CHECKPOINT.SYNC.COMMAND'],
    ]);
    expect(shorthandValuesFromOptions({ stage2Lr: '2e-4', skipStage1: true, other: 1 })).toEqual({ 'stage2-lr': '2e-4', 'skip-stage1': true });
  });

  test('every flag sets its key (string values as commander gives them)', () => {
    const c = parseConfigText('', {
      flags: {
        lr: '3e-4',
        'stage2-lr': '2e-4',
        scheduler: 'cosine_restart',
        'min-lr': '1e-5',
        'warmup-epochs': '2',
        't-mult': '3',
        epochs: '12',
        'batch-size': '16',
        'accumulation-steps': '4',
        'resume-from': 'runs/x/checkpoints/step-00000010',
        'skip-stage1': true,
        'output-dir': 'out',
      },
      sets: ['LR_SCHEDULER.RESTART_EPOCHS=1'],
    });
    expect(c.LR_SCHEDULER).toMatchObject({ BASE_LR: 3e-4, NAME: 'cosine_restart', MIN_LR: 1e-5, WARMUP_EPOCHS: 2, T_MULT: 3 });
    expect(c.STAGES.STAGE2.LR_SCHEDULER).toEqual({ BASE_LR: 2e-4 });
    expect(c.TRAIN).toMatchObject({ EPOCHS: 12, ACCUMULATION_STEPS: 4, RESUME_FROM: 'runs/x/checkpoints/step-00000010' });
    expect(c.DATA.BATCH_SIZE).toBe(16);
    expect(c.STAGES.SKIP_STAGE1).toBe(true);
    expect(c.EXPERIMENT.OUTPUT_DIR).toBe('out');
  });

  test('precedence: file < --set < flags', () => {
    const text = 'LR_SCHEDULER:\n  BASE_LR: 1.0e-3\nTRAIN:\n  EPOCHS: 3\n';
    expect(parseConfigText(text).LR_SCHEDULER.BASE_LR).toBe(1e-3);
    expect(parseConfigText(text, { sets: ['LR_SCHEDULER.BASE_LR=2e-3'] }).LR_SCHEDULER.BASE_LR).toBe(2e-3);
    const both = parseConfigText(text, { sets: ['LR_SCHEDULER.BASE_LR=2e-3', 'TRAIN.EPOCHS=4'], flags: { lr: 3e-3 } });
    expect(both.LR_SCHEDULER.BASE_LR).toBe(3e-3);
    expect(both.TRAIN.EPOCHS).toBe(4);
  });

  test('--warmup-epochs replaces a warmup given another way, in the file or by --set', () => {
    const c = parseConfigText('LR_SCHEDULER:\n  WARMUP_FRACTION: 0.1\n', { flags: { 'warmup-epochs': 3 } });
    expect(c.LR_SCHEDULER.WARMUP_EPOCHS).toBe(3);
    expect(c.LR_SCHEDULER.WARMUP_FRACTION).toBeUndefined();
    const d = parseConfigText('', { sets: ['LR_SCHEDULER.WARMUP_STEPS=10'], flags: { 'warmup-epochs': 1 } });
    expect(d.LR_SCHEDULER.WARMUP_STEPS).toBeUndefined();
    expect(d.LR_SCHEDULER.WARMUP_EPOCHS).toBe(1);
  });

  test('flag errors name the flag', () => {
    expect(parseError('', { flags: { lr: 'fast' } }).message).toBe("config error: LR_SCHEDULER.BASE_LR: expected a number, got 'fast' (from --lr)");
    expect(parseError('', { flags: { 'batch-size': '0' } }).message).toBe('config error: DATA.BATCH_SIZE: must be in [1, 16777216], got 0 (from --batch-size)');
    expect(parseError('', { flags: { epochs: '2.5' } }).message).toBe('config error: TRAIN.EPOCHS: expected an integer, got 2.5 (from --epochs)');
    expect(parseError('', { flags: { scheduler: 'cosin' } }).message).toBe(
      "config error: LR_SCHEDULER.NAME: unknown scheduler 'cosin' (did you mean 'cosine'? allowed: constant, none, linear, cosine, polynomial, step, multistep, exponential, inverse_sqrt, cosine_restart, onecycle, wsd, plateau) (from --scheduler)",
    );
    // onecycle over a file warmup: the error is on the file's key, at its line.
    expect(parseError('LR_SCHEDULER:\n  WARMUP_FRACTION: 0.1\n', { flags: { scheduler: 'onecycle' } }).message).toBe(
      "config error: run.yaml:2: LR_SCHEDULER.WARMUP_FRACTION: not allowed with scheduler 'onecycle' (LR_SCHEDULER.NAME), which warms up by itself over PCT_START; remove it or choose another scheduler",
    );
  });
});

describe('resolvedConfigToYaml', () => {
  test('round-trips: loading the written YAML gives the same config', () => {
    const c = loadConfig({ file: path.join(ROOT, 'configs', 'quickstart.yaml'), sets: ['SCHEDULE.CHECKPOINT.GENERATE.LOG_BASE=3'] }).config;
    const text = resolvedConfigToYaml(c);
    expect(yaml.load(text)).toEqual(JSON.parse(JSON.stringify(c)));
    expect(parseConfigText(text)).toEqual(c);
    expect(text).not.toMatch(/undefined/);
  });
});

describe('KeyLocator on generated YAML', () => {
  type Tree = { [k: string]: unknown };
  const key = fc.stringMatching(/^[A-Z][A-Z0-9_]{0,7}$/);
  const scalar = fc.oneof(fc.integer(), fc.boolean(), fc.stringMatching(/^[a-z][a-z ]{0,6}$/), fc.constant('a: b # c'));
  const { tree } = fc.letrec<{ tree: Tree; value: unknown }>((tie) => ({
    tree: fc.dictionary(key, tie('value'), { minKeys: 1, maxKeys: 4 }) as fc.Arbitrary<Tree>,
    value: fc.oneof(
      { depthSize: 'small', withCrossShrink: true },
      scalar,
      fc.array(scalar, { maxLength: 3 }),
      tie('tree'),
      fc.array(tie('tree'), { minLength: 1, maxLength: 3 }),
    ),
  }));

  /** Every key path in the tree with the key name it ends in. */
  function paths(v: unknown, p: string, out: Array<[string, string]>): Array<[string, string]> {
    if (Array.isArray(v)) v.forEach((x, i) => paths(x, `${p}[${i}]`, out));
    else if (typeof v === 'object' && v !== null) {
      for (const [k, x] of Object.entries(v)) {
        const q = p ? `${p}.${k}` : k;
        out.push([q, k]);
        paths(x, q, out);
      }
    }
    return out;
  }

  test.each([false, true])('every key maps to the line that writes it (noArrayIndent %s)', (noArrayIndent) => {
    fc.assert(
      fc.property(tree, (t) => {
        const text = yaml.dump(t, { noArrayIndent, flowLevel: -1, lineWidth: -1 });
        const lines = text.split('\n');
        const loc = new KeyLocator(text);
        for (const [p, k] of paths(t, '', [])) {
          const n = loc.exact(p);
          if (n === undefined) return false;
          // The line writes this key (possibly after '- ' markers).
          if (!new RegExp(`^[\\s-]*(${k}|'${k}'|"${k}"):`).test(lines[n - 1])) return false;
        }
        return true;
      }),
      { numRuns: 300 },
    );
  });
});
