// The library in one page: load a config, resolve its schedule, and drive a native session one
// optimizer step at a time with the schedule's learning rates. (The full training loop with
// data loading, validation, checkpoints and logging is `train-native train`.)
//
//   node examples/library.js            # after `bash scripts/setup.sh`
const { loadConfig, buildSchedule, createSession, isNativeAvailable, nativeLoadError } = require('..');

async function main() {
  // The built-in quickstart config, with an override as `--set` would give it.
  const { config } = loadConfig({ sets: ['TRAIN.EPOCHS=2'] });
  const schedule = buildSchedule(config); // DATA.TRAIN_SAMPLES fixes the epoch length
  console.log(`${schedule.totalSteps} steps, ${schedule.stepsPerEpoch} per epoch, groups: ${schedule.groups.join(', ')}`);

  if (!isNativeAvailable()) {
    console.error(`native addon unavailable: ${nativeLoadError().message}`);
    process.exitCode = 1;
    return;
  }
  const { INPUT_DIM: inputDim, NUM_CLASSES: numClasses, HIDDEN_SIZES: hiddenSizes } = config.MODEL;
  // The model is built on the session's own thread: the event loop stays free meanwhile.
  const session = await createSession({
    model: { type: 'mlp', task: 'classification', inputDim, numClasses, hiddenSizes },
    optimizer: { name: 'adamw', weightDecay: config.OPTIMIZER.WEIGHT_DECAY },
    seed: config.EXPERIMENT.SEED,
    gradClip: config.TRAIN.GRAD_CLIP,
  });

  // A learnable toy problem: the class is the index of the largest of the first numClasses features.
  const batchSize = config.DATA.BATCH_SIZE;
  let seed = 1;
  const rand = () => ((seed = (seed * 1103515245 + 12345) >>> 0) / 2 ** 32) * 2 - 1;
  function batch() {
    const features = new Float32Array(batchSize * inputDim).map(rand);
    const labels = new Int32Array(batchSize);
    for (let i = 0; i < batchSize; i++) {
      let best = 0;
      for (let c = 1; c < numClasses; c++) if (features[i * inputDim + c] > features[i * inputDim + best]) best = c;
      labels[i] = best;
    }
    return { batchSize, features, labels };
  }

  try {
    // The session runs its work in order, so a step may be queued before the previous one has
    // finished; only the steps that log are awaited (reading the loss back is a device sync).
    const pending = [];
    for (let k = 0; k < schedule.totalSteps; k++) {
      const lrs = Object.fromEntries(schedule.groups.map((g, i) => [g, schedule.lr(k, i)]));
      const logging = (k + 1) % config.SCHEDULE.METRICS.CONSOLE_INTERVAL === 0;
      pending.push(session.step(batch(), { lrs, readLoss: logging }));
      if (!logging) continue;
      const r = (await Promise.all(pending.splice(0))).pop();
      console.log(`step ${r.step}: loss ${r.loss.toFixed(4)} lr ${lrs.default.toExponential(2)}`);
    }
    await Promise.all(pending);
    const evalBatch = batch();
    const e = await session.evaluate(evalBatch);
    console.log(`eval: loss ${e.loss.toFixed(4)}, accuracy ${(e.correct / e.count).toFixed(3)} (chance ${(1 / numClasses).toFixed(3)})`);
  } finally {
    await session.dispose();
  }
}

main().catch((err) => {
  console.error(err.message);
  process.exitCode = 1;
});
