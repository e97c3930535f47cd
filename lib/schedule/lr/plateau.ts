/**
 * ReduceLROnPlateau (SPEC §3, seed 004), the one LR schedule that depends on the run rather than
 * the step. Semantics are PyTorch's: a validation counts as better when it beats `best` by the
 * threshold (rel: best*(1∓THRESHOLD), abs: best∓THRESHOLD); after more than PATIENCE bad
 * validations every group's LR becomes max(lr*FACTOR, floor), skipped when the change is below
 * eps = 1e-8; COOLDOWN validations follow in which bad ones are not counted.
 * It only listens after warmup: validations during warmup are ignored, as in seed 004's loop.
 * State is plain JSON so it can ride in trainer_state.json.
 */
import type { PlateauSpec } from './keys';

/** PyTorch's default eps: LR changes smaller than this are ignored. */
const EPS = 1e-8;

export interface PlateauGroup {
  /** Post-warmup LR of the group (its BASE, scaled). */
  base: number;
  /** Floor (the group's MIN_LR, scaled). */
  min: number;
}

export interface PlateauState {
  best: number | null;
  numBadValidations: number;
  cooldownCounter: number;
  lrs: number[];
  validations: number;
  reductions: number;
}

export class PlateauScheduler {
  private best: number;
  private numBad = 0;
  private cooldownCounter = 0;
  private validations = 0;
  private reductions = 0;
  private readonly lrs: Float64Array;

  /**
   * @param spec   FACTOR, PATIENCE, … (shared by the stage's plateau groups).
   * @param groups one entry per group index of the plan; null for groups on another scheduler.
   * @param activeFrom first global step at which validations count and the plateau LR applies:
   *                   the end of warmup.
   * @param activeTo   first global step after the plateau's stage.
   */
  constructor(
    readonly spec: PlateauSpec,
    private readonly groups: ReadonlyArray<PlateauGroup | null>,
    readonly activeFrom = 0,
    readonly activeTo = Infinity,
  ) {
    this.best = this.worst();
    this.lrs = new Float64Array(groups.length);
    groups.forEach((g, i) => (this.lrs[i] = g ? g.base : Number.NaN));
  }

  private worst(): number {
    return this.spec.mode === 'min' ? Infinity : -Infinity;
  }

  private isBetter(a: number): boolean {
    const { mode, thresholdMode, threshold } = this.spec;
    if (mode === 'min') return thresholdMode === 'rel' ? a < this.best * (1 - threshold) : a < this.best - threshold;
    return thresholdMode === 'rel' ? a > this.best * (threshold + 1) : a > this.best + threshold;
  }

  /**
   * Feeds one validation result observed at `step`. Returns true when the LR was reduced.
   * A NaN metric counts as not better (as in PyTorch, where every comparison with NaN is false).
   */
  observe(metric: number, step: number): boolean {
    if (step < this.activeFrom || step > this.activeTo) return false;
    this.validations++;
    if (this.isBetter(metric)) {
      this.best = metric;
      this.numBad = 0;
    } else {
      this.numBad++;
    }
    if (this.cooldownCounter > 0) {
      this.cooldownCounter--;
      this.numBad = 0;
    }
    if (this.numBad > this.spec.patience) {
      let reduced = false;
      for (let i = 0; i < this.groups.length; i++) {
        const g = this.groups[i];
        if (!g) continue;
        const old = this.lrs[i];
        const next = Math.max(old * this.spec.factor, g.min);
        if (old - next > EPS) {
          this.lrs[i] = next;
          reduced = true;
        }
      }
      if (reduced) this.reductions++;
      this.cooldownCounter = this.spec.cooldown;
      this.numBad = 0;
      return reduced;
    }
    return false;
  }

  /** Current LR of group `index`; NaN for a group that is not on the plateau scheduler. */
  lr(index: number): number {
    return this.lrs[index];
  }

  hasGroup(index: number): boolean {
    return this.groups[index] !== null && this.groups[index] !== undefined;
  }

  exportState(): PlateauState {
    return {
      best: Number.isFinite(this.best) ? this.best : null,
      numBadValidations: this.numBad,
      cooldownCounter: this.cooldownCounter,
      lrs: Array.from(this.lrs, (v) => (Number.isNaN(v) ? 0 : v)),
      validations: this.validations,
      reductions: this.reductions,
    };
  }

  restoreState(state: PlateauState): void {
    if (state.lrs.length !== this.groups.length) {
      throw new Error(`plateau state has ${state.lrs.length} groups, the schedule has ${this.groups.length}`);
    }
    this.best = state.best ?? this.worst();
    this.numBad = state.numBadValidations;
    this.cooldownCounter = state.cooldownCounter;
    this.validations = state.validations;
    this.reductions = state.reductions;
    state.lrs.forEach((v, i) => (this.lrs[i] = this.groups[i] ? v : Number.NaN));
  }
}
