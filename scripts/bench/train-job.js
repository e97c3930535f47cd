// The training job of scripts/bench-train.js, shared with scripts/bench-ddp.js: the models (as
// native/core/models.cc builds them and as a train-native config says them), the
// hyper-parameters every way uses, and the npy data plus config train-native trains on.
'use strict';
const fs = require('fs');
const path = require('path');
const yaml = require('js-yaml');

const C = require('./common');
const { writeNpy } = require('./npy-write');

const LOG_EVERY = 16;

// The hyper-parameters every way uses (train-native's keys in the config below).
const JOB = { baseLr: 1e-3, minLr: 1e-5, warmupFraction: 0.05, weightDecay: 0.01, gradClip: 1.0, logEvery: LOG_EVERY, seed: 1 };

/**
 * The models, as native/core/models.cc builds them (`spec`, the step_reference.py mirror's input)
 * and as a train-native config says them (`MODEL`). The transformer classifies a token sequence
 * by the mean of its final-LayerNorm states (no padding id, no metadata), then a Linear head.
 */
const MODELS = {
  mlp: {
    label: 'MLP 64→256→256→10, batch 32',
    spec: { type: 'mlp', inputDim: 64, hiddenSizes: [256, 256], numClasses: 10 },
    MODEL: { TYPE: 'mlp', TASK: 'classification', INPUT_DIM: 64, NUM_CLASSES: 10, HIDDEN_SIZES: [256, 256], DROPOUT: 0 },
    batch: 32,
    samples: { train: 16384, val: 2048 }, // 512 steps an epoch
    epochs: [1, 4],
    smoke: { samples: { train: 256, val: 64 }, epochs: [1, 2] },
  },
  transformer: {
    label: 'transformer 2 layers, d 128, 4 heads, ff 512, seq 128, batch 16',
    spec: { type: 'transformer', vocabSize: 1000, dModel: 128, numHeads: 4, numLayers: 2, ffDim: 512, tokenLimit: 128, numClasses: 10, maskedTokenHead: false },
    MODEL: { TYPE: 'transformer', TASK: 'classification', VOCAB_SIZE: 1000, D_MODEL: 128, NUM_HEADS: 4, NUM_LAYERS: 2, FF_DIM: 512, TOKEN_LIMIT: 128, NUM_CLASSES: 10, DROPOUT: 0 },
    batch: 16,
    seq: 128,
    samples: { train: 512, val: 64 }, // 32 steps an epoch
    epochs: [1, 3],
    // Shorter sequences (same parameters: TOKEN_LIMIT stays 128) keep the smoke run quick.
    smoke: { samples: { train: 32, val: 16 }, epochs: [1, 2], seq: 16 },
  },
};

/** Parameter count of a spec by models.cc's construction (what all three ways must report). */
function expectedParams(s) {
  const linear = (i, o) => i * o + o;
  if (s.type === 'mlp') {
    let n = 0, prev = s.inputDim;
    for (const h of s.hiddenSizes) (n += linear(prev, h)), (prev = h);
    return n + linear(prev, s.numClasses);
  }
  const d = s.dModel, ln = 2 * d;
  const block = ln + 4 * linear(d, d) + ln + linear(d, s.ffDim) + linear(s.ffDim, d);
  return s.vocabSize * d + s.tokenLimit * d + s.numLayers * block + ln + linear(d, s.numClasses);
}

/**
 * Writes model m's job into dir: npy folders of `samples` {train, val} rows (token sequences of
 * length `seq` for the transformer) and the train-native config, `dir/<m>.yaml`; returns its path.
 */
function writeJob(dir, m, { samples, seq }) {
  const def = MODELS[m];
  const n = samples;
  let seed = 11;
  for (const split of ['train', 'val']) {
    const folder = path.join(dir, m, split);
    fs.mkdirSync(folder, { recursive: true });
    const rows = n[split];
    // Labels are random: what is measured is the cost of a step, not what it learns.
    writeNpy(path.join(folder, 'labels.npy'), C.randInts(rows, def.spec.numClasses, seed++), [rows]);
    if (m === 'mlp') writeNpy(path.join(folder, 'features.npy'), C.randFloats(rows * def.spec.inputDim, seed++), [rows, def.spec.inputDim]);
    else writeNpy(path.join(folder, 'features.npy'), C.randInts(rows * seq, def.spec.vocabSize, seed++), [rows, seq]);
  }
  const config = {
    EXPERIMENT: { NAME: m, OUTPUT_DIR: path.join(dir, 'runs'), SEED: JOB.seed },
    DATA: { SOURCE: 'npy', TRAIN_PATH: path.join(dir, m, 'train'), VAL_PATH: path.join(dir, m, 'val'), BATCH_SIZE: def.batch, DROP_LAST: true },
    MODEL: def.MODEL,
    OPTIMIZER: { NAME: 'adamw', WEIGHT_DECAY: JOB.weightDecay },
    LR_SCHEDULER: { NAME: 'cosine', BASE_LR: JOB.baseLr, MIN_LR: JOB.minLr, WARMUP_FRACTION: JOB.warmupFraction },
    TRAIN: { EPOCHS: 1, GRAD_CLIP: JOB.gradClip, DEVICE: 'cpu', THREADS: 1 },
    SCHEDULE: {
      VALIDATION: { INTERVAL_EPOCHS: 1 },
      CHECKPOINT: { INTERVAL_EPOCHS: 1, KEEP_LAST_N: 2 },
      METRICS: { STEP_INTERVAL: LOG_EVERY, LR_INTERVAL: LOG_EVERY, CONSOLE_INTERVAL: 1000000 },
    },
    LOGGING: { TENSORBOARD: true, HISTOGRAM_INTERVAL_EPOCHS: 0, PROGRESS: 'auto' },
  };
  const file = path.join(dir, `${m}.yaml`);
  fs.writeFileSync(file, `# bench-train.js: the ${def.label} job\n${yaml.dump(config)}`);
  return file;
}

module.exports = { JOB, LOG_EVERY, MODELS, expectedParams, writeJob };
