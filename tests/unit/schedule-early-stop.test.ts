/** Early stopping (SPEC §5): every reason, direction inference, state round-trip. */
import type { EarlyStopConfig } from '../../lib/config/types';
import { EarlyStopping, inferMode } from '../../lib/schedule';

const cfg = (o: Partial<EarlyStopConfig> = {}): EarlyStopConfig => ({ ACTIVE: true, METRIC: 'val_loss', MODE: 'auto', MIN_DELTA: 0, ...o });

describe('metric direction', () => {
  test.each([
    ['val_loss', 'min'],
    ['val_error', 'min'],
    ['val_mae', 'min'],
    ['mse', 'min'],
    ['val_rmse', 'min'],
    ['perplexity', 'min'],
    ['val_chain_accuracy', 'max'],
    ['val_acc', 'max'],
    ['f1', 'max'],
    ['val_iou', 'max'],
    ['dice', 'max'],
    ['val_auc', 'max'],
    ['r2', 'max'],
    ['precision', 'max'],
    ['val_recall', 'max'],
  ])('%s → %s', (name, mode) => expect(inferMode(name)).toBe(mode));

  test('MODE overrides the name', () => {
    expect(new EarlyStopping(cfg({ METRIC: 'val_loss', MODE: 'max' }), 10).mode).toBe('max');
  });
});

describe('early stopping', () => {
  test('inactive: never stops', () => {
    const es = new EarlyStopping(cfg({ ACTIVE: false, PATIENCE_STEPS: 1 }), 10);
    expect(es.check({ step: 10, metrics: { val_loss: 1 }, loss: NaN })).toBeNull();
  });

  test('patience in steps since the best validation; improvement must exceed MIN_DELTA', () => {
    const es = new EarlyStopping(cfg({ PATIENCE_STEPS: 30, MIN_DELTA: 0.01 }), 10);
    expect(es.check({ step: 10, metrics: { val_loss: 1.0 } })).toBeNull();
    expect(es.check({ step: 20, metrics: { val_loss: 0.995 } })).toBeNull(); // not by more than 0.01
    expect(es.check({ step: 30, metrics: { val_loss: 0.98 } })).toBeNull(); // improved: best at 30
    expect(es.check({ step: 50, metrics: { val_loss: 0.98 } })).toBeNull();
    const reason = es.check({ step: 60, metrics: { val_loss: 0.975 } });
    expect(reason).toMatch(/val_loss has not decreased by more than 0\.01 for 30 steps/);
    expect(es.stopCode).toBe('patience');
  });

  test('PATIENCE_EPOCHS converts with steps per epoch; higher-is-better metrics', () => {
    const es = new EarlyStopping(cfg({ METRIC: 'val_acc', PATIENCE_EPOCHS: 2 }), 10);
    expect(es.patienceSteps).toBe(20);
    es.check({ step: 10, metrics: { val_acc: 0.5 } });
    expect(es.check({ step: 20, metrics: { val_acc: 0.6 } })).toBeNull();
    expect(es.check({ step: 30, metrics: { val_acc: 0.55 } })).toBeNull();
    expect(es.check({ step: 40, metrics: { val_acc: 0.6 } })).toMatch(/increased/);
  });

  test.each([
    [{ MAX_STEPS: 100 }, { step: 100 }, 'max_steps'],
    [{ MAX_LOSS: 5 }, { step: 10, metrics: { val_loss: 6 } }, 'max_loss'],
    [{ MIN_LR: 1e-6 }, { step: 10, lr: 1e-7 }, 'min_lr'],
    [{ MAX_GRAD_NORM: 100 }, { step: 10, gradNorm: 101 }, 'max_grad_norm'],
    [{}, { step: 10, loss: Infinity }, 'non_finite_loss'],
    [{}, { step: 10, loss: 1, metrics: { val_loss: NaN } }, 'non_finite_loss'],
  ] as const)('stops on %j with %j → %s', (extra, obs, code) => {
    const es = new EarlyStopping(cfg(extra), 10);
    const reason = es.check(obs);
    expect(typeof reason).toBe('string');
    expect(es.stopCode).toBe(code);
  });

  test('limits not reached: goes on', () => {
    const es = new EarlyStopping(cfg({ MAX_STEPS: 100, MAX_LOSS: 5, MIN_LR: 1e-6, MAX_GRAD_NORM: 100 }), 10);
    expect(es.check({ step: 99, metrics: { val_loss: 5 }, lr: 1e-6, gradNorm: 100, loss: 1 })).toBeNull();
  });

  test('state round-trips through JSON', () => {
    const a = new EarlyStopping(cfg({ PATIENCE_STEPS: 20 }), 10);
    a.check({ step: 10, metrics: { val_loss: 1 } });
    a.check({ step: 20, metrics: { val_loss: 1.1 } });
    const b = new EarlyStopping(cfg({ PATIENCE_STEPS: 20 }), 10);
    b.restoreState(JSON.parse(JSON.stringify(a.exportState())));
    expect(b.check({ step: 30, metrics: { val_loss: 1.2 } })).toBe(a.check({ step: 30, metrics: { val_loss: 1.2 } }));
    expect(b.exportState()).toEqual(a.exportState());
    expect(b.exportState().stopped).toBe(true);
  });
});
