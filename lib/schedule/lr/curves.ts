/**
 * The LR curve of one parameter group within one stage: closed forms of the schedulers in SPEC §3
 * as functions of the stage-local step k (lr[k] = the LR optimizer step k uses). Each form is the
 * one PyTorch's scheduler computes (its `_get_closed_form_lr`, or the phase arithmetic of
 * OneCycleLR), so a curve can be checked against torch.optim.lr_scheduler to 1e-9.
 * `plateau` here is its dry-run curve (BASE after warmup); the live one is lr/plateau.ts.
 */
import type { CurveSpec } from './keys';

/**
 * Linear warmup: WARMUP_LR + (BASE - WARMUP_LR) * k / w for k < w. Per epoch (SPEC §16) warmup
 * epoch e = k + 1 of w gets e / w, so the last warmup epoch already trains at BASE (seed 004).
 */
function warmupLr(s: CurveSpec, k: number): number {
  // Per epoch the factor e / w is formed first, as seed 004's code does (BASE * (3/5) is 6e-4 exactly; BASE * 3 / 5 is not).
  if (s.perEpoch) return s.warmupLr + (s.base - s.warmupLr) * ((k + 1) / s.warmup);
  return s.warmupLr + ((s.base - s.warmupLr) * k) / s.warmup;
}

/** Progress through the post-warmup phase, clipped to [0, 1]. */
function progress(s: CurveSpec, k: number): number {
  const span = s.total - s.warmup;
  if (span <= 0) return 1;
  const p = (k - s.warmup) / span;
  return p < 0 ? 0 : p > 1 ? 1 : p;
}

function cosineBetween(min: number, max: number, p: number): number {
  return min + ((max - min) * (1 + Math.cos(Math.PI * p))) / 2;
}

/**
 * CosineAnnealingWarmRestarts on t = k - w: cycle i lasts T_0 * T_MULT^i steps. The cycle is
 * found by walking cycle lengths, not with PyTorch's log(), whose rounding can misplace a step
 * exactly on a restart; the walk is what PyTorch's step-by-step recursion does.
 */
function cosineRestart(s: CurveSpec, t: number): number {
  let start = 0;
  let len = s.restartSteps;
  let cycle = 0;
  while (t >= start + len) {
    start += len;
    len = len * s.tMult;
    cycle++;
  }
  // RESTART_DECAY scales each cycle's peak; the peak never drops below the floor it decays to.
  const peak = s.restartDecay === 1 ? s.base : Math.max(s.min, s.base * Math.pow(s.restartDecay, cycle));
  return s.min + ((peak - s.min) * (1 + Math.cos((Math.PI * (t - start)) / len))) / 2;
}

/** PyTorch OneCycleLR's phase arithmetic, copied operation for operation. */
function oneCycle(s: CurveSpec, k: number): number {
  const total = s.total;
  const maxLr = s.base;
  const initial = maxLr / s.divFactor;
  const minLr = initial / s.finalDivFactor;
  const phases: Array<[number, number, number]> = s.threePhase
    ? [
        [s.pctStart * total - 1, initial, maxLr],
        [2 * s.pctStart * total - 2, maxLr, initial],
        [total - 1, initial, minLr],
      ]
    : [
        [s.pctStart * total - 1, initial, maxLr],
        [total - 1, maxLr, minLr],
      ];
  let startStep = 0;
  for (let i = 0; i < phases.length; i++) {
    const [endStep, from, to] = phases[i];
    if (k <= endStep || i === phases.length - 1) {
      const span = endStep - startStep;
      // A zero-length phase (tiny runs) would divide 0 by 0 in PyTorch; take it as finished.
      const pct = span > 0 ? (k - startStep) / span : 1;
      if (s.annealStrategy === 'cos') {
        const cosOut = Math.cos(Math.PI * pct) + 1;
        return to + ((from - to) / 2) * cosOut;
      }
      return (to - from) * pct + from;
    }
    startStep = endStep;
  }
  return minLr; // unreachable: the last phase always answers
}

/** lr[k] for stage-local step k (0 <= k < s.total). */
export function lrAt(s: CurveSpec, k: number): number {
  if (s.name === 'onecycle') return oneCycle(s, k);
  if (k < s.warmup) return warmupLr(s, k);
  const t = k - s.warmup;
  switch (s.name) {
    case 'constant':
    case 'none':
    case 'plateau':
      return s.base;
    case 'linear':
      return s.base - (s.base - s.min) * progress(s, k);
    case 'cosine':
      return cosineBetween(s.min, s.base, progress(s, k));
    case 'polynomial':
      return s.min + (s.base - s.min) * Math.pow(1 - progress(s, k), s.power);
    case 'step':
      return Math.max(s.min, s.base * Math.pow(s.decayRate, Math.floor(t / s.decaySteps)));
    case 'multistep': {
      let n = 0;
      while (n < s.milestones.length && s.milestones[n] <= k) n++;
      return s.base * Math.pow(s.gamma, n);
    }
    case 'exponential':
      return s.base * Math.pow(s.gamma, Math.floor(t / s.stepsPerEpoch));
    case 'inverse_sqrt': {
      // Hugging Face's get_inverse_sqrt_schedule: timescale = w, or 10,000 without warmup
      // (sqrt(w / k) is undefined at k = w = 0).
      const timescale = s.warmup > 0 ? s.warmup : 10000;
      return s.base / Math.sqrt((k + timescale - s.warmup) / timescale);
    }
    case 'cosine_restart':
      return cosineRestart(s, t);
    case 'wsd': {
      if (t < s.stableSteps) return s.base;
      const d = t - s.stableSteps;
      if (d >= s.decayPhaseSteps) return s.min;
      const q = d / s.decayPhaseSteps;
      if (s.decayType === 'linear') return s.base - (s.base - s.min) * q;
      if (s.decayType === '1-sqrt') return s.min + (s.base - s.min) * (1 - Math.sqrt(q));
      return cosineBetween(s.min, s.base, q);
    }
  }
}

/** The index (step, or epoch with INTERVAL: epoch) the curve's post-warmup phase starts at (where a plateau scheduler takes over). */
export function postWarmupStart(s: CurveSpec): number {
  return s.name === 'onecycle' ? 0 : s.warmup;
}
