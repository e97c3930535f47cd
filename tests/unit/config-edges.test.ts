/**
 * Config edges (issue 10): bounds that keep derived totals representable, `--set KEY=null` only
 * where unsetting means something, a config file with no settings, EXPERIMENT.NAME a plain folder
 * name — each a ConfigError naming the key (and the limit).
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { ConfigError } from '../../lib/config/errors';
import { LIMITS } from '../../lib/config/definition';
import { loadConfig, parseConfigText } from '../../lib/config/load';
import { resolveTimeBase } from '../../lib/schedule/time-base';

function errorOf(fn: () => unknown): ConfigError {
  try {
    fn();
  } catch (e) {
    if (e instanceof ConfigError) return e;
    throw e;
  }
  throw new Error('expected a ConfigError');
}
const withSets = (...sets: string[]) => () => parseConfigText('TRAIN:\n  EPOCHS: 2\n', { file: 'run.yaml', sets });

describe('numeric bounds', () => {
  test.each([
    ['TRAIN.EPOCHS=1e20', 'TRAIN.EPOCHS', `must be in [0, ${LIMITS.EPOCHS}], got 100000000000000000000`],
    ['TRAIN.MAX_STEPS=1e12', 'TRAIN.MAX_STEPS', `must be in [1, ${LIMITS.TOTAL_STEPS}], got 1000000000000`],
    ['DATA.BATCH_SIZE=1e9', 'DATA.BATCH_SIZE', `must be in [1, ${LIMITS.BATCH_SIZE}], got 1000000000`],
    ['MODEL.VOCAB_SIZE=1e10', 'MODEL.VOCAB_SIZE', `must be in [1, ${LIMITS.INT32}], got 10000000000`],
    ['MODEL.HIDDEN_SIZES=[10, 1e10]', 'MODEL.HIDDEN_SIZES[1]', `must be in [1, ${LIMITS.INT32}], got 10000000000`],
    ['EXPERIMENT.SEED=1e300', 'EXPERIMENT.SEED', `must be at most ${Number.MAX_SAFE_INTEGER}, got 1e+300`],
  ])('--set %s', (set, key, message) => {
    const e = errorOf(withSets(set));
    expect(e.keyPath).toBe(key);
    expect(e.message).toBe(`config error: ${key}: ${message} (from --set ${set})`);
  });

  test('total steps derived from EPOCHS past the limit name TRAIN.EPOCHS and the limit', () => {
    const config = parseConfigText('', { sets: ['TRAIN.EPOCHS=1000000', 'DATA.TRAIN_SAMPLES=1000', 'DATA.BATCH_SIZE=1'] });
    const e = errorOf(() => resolveTimeBase(config));
    expect(e.message).toBe(`config error: TRAIN.EPOCHS: 1000000 epochs of 1000 steps make 1000000000 steps, more than the ${LIMITS.TOTAL_STEPS} a run may have; lower it or give TRAIN.MAX_STEPS`);
  });
});

describe('--set KEY=null', () => {
  test.each([
    ['TRAIN.EPOCHS=null', 'TRAIN.EPOCHS', 'its default is 10'],
    ['DATA.BATCH_SIZE=null', 'DATA.BATCH_SIZE', 'its default is 32'],
    ['OPTIMIZER.NAME=null', 'OPTIMIZER.NAME', 'its default is "adamw"'],
  ])('%s on a key with a default exits 2 naming it', (set, key, dflt) => {
    const e = errorOf(withSets(set));
    expect(e.message).toBe(`config error: ${key}: null has no meaning here: the key cannot be unset (${dflt}); give a value (from --set ${set})`);
  });

  test('a section that is always there cannot be unset', () => {
    expect(errorOf(withSets('TRAIN=null')).message).toBe('config error: TRAIN: null has no meaning here: the key cannot be unset; give a value (from --set TRAIN=null)');
  });

  test('a key without a default, a group member and a list entry can be unset', () => {
    const c = parseConfigText('TRAIN:\n  MAX_STEPS: 50\nMODEL:\n  HIDDEN_SIZES: [4, 5, 6]\nDATA:\n  VAL_PATH: v\n', {
      sets: ['TRAIN.MAX_STEPS=null', 'MODEL.HIDDEN_SIZES[1]=null', 'DATA.VAL_PATH=null', 'DATA.VAL_FRACTION=0.2'],
    });
    expect(c.TRAIN.MAX_STEPS).toBeUndefined();
    expect(c.MODEL.HIDDEN_SIZES).toEqual([4, 6]);
    expect(c.DATA.VAL_PATH).toBeUndefined();
    expect(c.DATA.VAL_FRACTION).toBe(0.2);
  });
});

describe('a config file with no settings', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tn-edges-'));
  test.each([
    ['empty', ''],
    ['comments only', '# nothing here\n   # at all\n'],
    ['null', 'null\n'],
    ['an empty mapping', '{}\n'],
  ])('%s: ConfigError "has no settings"', (name, text) => {
    const file = path.join(dir, `${name.replace(/ /g, '-')}.yaml`);
    fs.writeFileSync(file, text);
    const e = errorOf(() => loadConfig({ file }));
    expect(e.file).toBe(file);
    expect(e.message).toBe(`config error: ${file}:1: the config file has no settings (it is empty, only comments, or null); give at least one section, e.g. TRAIN: {EPOCHS: 5}`);
  });
});

describe('EXPERIMENT.NAME', () => {
  test.each(['../../escape', 'a/b', '..', '.', 'a\\b', ' padded'])('%j is refused', (name) => {
    const e = errorOf(() => parseConfigText(`EXPERIMENT:\n  NAME: ${JSON.stringify(name)}\n`, { file: 'run.yaml' }));
    expect(e.keyPath).toBe('EXPERIMENT.NAME');
    expect(e.message).toContain(`must be a plain folder name (no '/' or '\\', not '.' or '..', no surrounding spaces), got '${name}'`);
  });
  test.each(['run-1', 'my.run', 'résumé', 'a b'])('%j is a plain folder name', (name) => {
    expect(parseConfigText(`EXPERIMENT:\n  NAME: ${JSON.stringify(name)}\n`).EXPERIMENT.NAME).toBe(name);
  });
});
