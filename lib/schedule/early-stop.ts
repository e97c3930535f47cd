/**
 * Early stopping (TRAIN.EARLY_STOP, SPEC §5), checked at validation points. Stops when the
 * monitored metric has not improved by more than MIN_DELTA for the patience (in steps since the
 * best validation), or on a hard limit: MAX_STEPS, metric above MAX_LOSS, LR below MIN_LR, grad
 * norm above MAX_GRAD_NORM, or a non-finite loss. The reason is a sentence for the log and the
 * trainer state; `stopCode` names it for programs. State is plain JSON for trainer_state.json.
 */
import { ConfigError } from '../config/errors';
import type { EarlyStopConfig } from '../config/types';
import { resolveMode, type MetricMode } from './metric-mode';
import { roundSteps } from './time-base';

export type EarlyStopCode = 'patience' | 'max_steps' | 'max_loss' | 'min_lr' | 'max_grad_norm' | 'non_finite_loss';

/** What the trainer knows at a validation point; absent values skip the checks that need them. */
export interface EarlyStopObservation {
  step: number;
  /** Validation metrics by name; the one named by METRIC is monitored. */
  metrics?: Readonly<Record<string, number>>;
  /** Latest training loss. */
  loss?: number;
  /** Current LR (of the default group). */
  lr?: number;
  gradNorm?: number;
}

export interface EarlyStopState {
  best: number | null;
  bestStep: number;
  stopped: boolean;
  reason: string | null;
  code: EarlyStopCode | null;
}

export class EarlyStopping {
  readonly mode: MetricMode;
  /** Patience in steps; undefined when neither PATIENCE_STEPS nor PATIENCE_EPOCHS is set. */
  readonly patienceSteps?: number;
  private best: number | null = null;
  private bestStep = 0;
  private reasonText: string | null = null;
  private code: EarlyStopCode | null = null;

  constructor(
    readonly config: EarlyStopConfig,
    stepsPerEpoch: number,
  ) {
    this.mode = resolveMode(config.METRIC, config.MODE);
    if (config.PATIENCE_STEPS !== undefined && config.PATIENCE_EPOCHS !== undefined) {
      throw new ConfigError('give only one of PATIENCE_STEPS and PATIENCE_EPOCHS', 'TRAIN.EARLY_STOP.PATIENCE_EPOCHS');
    }
    if (config.PATIENCE_STEPS !== undefined) this.patienceSteps = config.PATIENCE_STEPS;
    else if (config.PATIENCE_EPOCHS !== undefined) this.patienceSteps = roundSteps(config.PATIENCE_EPOCHS * stepsPerEpoch);
  }

  get active(): boolean {
    return this.config.ACTIVE;
  }

  get stopCode(): EarlyStopCode | null {
    return this.code;
  }

  get reason(): string | null {
    return this.reasonText;
  }

  get bestValue(): number | null {
    return this.best;
  }

  private improves(v: number): boolean {
    if (this.best === null) return true;
    const d = this.config.MIN_DELTA;
    return this.mode === 'min' ? v < this.best - d : v > this.best + d;
  }

  private stop(code: EarlyStopCode, reason: string): string {
    this.code = code;
    this.reasonText = reason;
    return reason;
  }

  /** Feeds one validation point; returns the reason to stop, or null to go on. */
  check(o: EarlyStopObservation): string | null {
    if (!this.config.ACTIVE) return null;
    if (this.reasonText !== null) return this.reasonText;
    const c = this.config;
    if (o.loss !== undefined && !Number.isFinite(o.loss)) {
      return this.stop('non_finite_loss', `the training loss is ${o.loss} at step ${o.step}`);
    }
    const name = c.METRIC;
    const value = o.metrics?.[name];
    if (value !== undefined) {
      if (!Number.isFinite(value)) return this.stop('non_finite_loss', `${name} is ${value} at step ${o.step}`);
      if (c.MAX_LOSS !== undefined && value > c.MAX_LOSS) {
        return this.stop('max_loss', `${name} = ${value} is above TRAIN.EARLY_STOP.MAX_LOSS (${c.MAX_LOSS}) at step ${o.step}`);
      }
      if (this.improves(value)) {
        this.best = value;
        this.bestStep = o.step;
      } else if (this.patienceSteps !== undefined && o.step - this.bestStep >= this.patienceSteps) {
        const dir = this.mode === 'min' ? 'decreased' : 'increased';
        return this.stop(
          'patience',
          `${name} has not ${dir} by more than ${c.MIN_DELTA} for ${o.step - this.bestStep} steps ` +
            `(patience ${this.patienceSteps}; best ${this.best} at step ${this.bestStep})`,
        );
      }
    }
    if (c.MIN_LR !== undefined && o.lr !== undefined && o.lr < c.MIN_LR) {
      return this.stop('min_lr', `the learning rate ${o.lr} is below TRAIN.EARLY_STOP.MIN_LR (${c.MIN_LR}) at step ${o.step}`);
    }
    if (c.MAX_GRAD_NORM !== undefined && o.gradNorm !== undefined && o.gradNorm > c.MAX_GRAD_NORM) {
      return this.stop('max_grad_norm', `the gradient norm ${o.gradNorm} is above TRAIN.EARLY_STOP.MAX_GRAD_NORM (${c.MAX_GRAD_NORM}) at step ${o.step}`);
    }
    if (c.MAX_STEPS !== undefined && o.step >= c.MAX_STEPS) {
      return this.stop('max_steps', `reached TRAIN.EARLY_STOP.MAX_STEPS (${c.MAX_STEPS}) at step ${o.step}`);
    }
    return null;
  }

  exportState(): EarlyStopState {
    return { best: this.best, bestStep: this.bestStep, stopped: this.reasonText !== null, reason: this.reasonText, code: this.code };
  }

  restoreState(s: EarlyStopState): void {
    this.best = s.best;
    this.bestStep = s.bestStep;
    this.reasonText = s.reason;
    this.code = s.code;
  }
}
