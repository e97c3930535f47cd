// Training from a Node program: the built-in quickstart config for two epochs, with typed events
// and an AbortSignal (Ctrl-C stops after the steps in flight and leaves a resumable checkpoint).
//
//   node examples/train.js            # after `bash scripts/setup.sh`; writes runs/library-example*
const { Trainer, isNativeAvailable, nativeLoadError } = require('..');

async function main() {
  if (!isNativeAvailable()) {
    console.error(`native addon unavailable: ${nativeLoadError().message}`);
    process.exitCode = 1;
    return;
  }
  const controller = new AbortController();
  process.once('SIGINT', () => controller.abort());

  const trainer = new Trainer({
    // No configFile: the built-in configs/quickstart.yaml, with overrides as `--set` gives them.
    sets: ['TRAIN.EPOCHS=2', 'EXPERIMENT.NAME=library-example'],
    signal: controller.signal,
  });
  trainer.on('start', (e) => console.log(`start: ${e.totalSteps} steps on ${e.device}, ${e.parameters} parameters → ${e.runDir}`));
  trainer.on('validation', (e) => console.log(`step ${e.step} ${e.split}: loss ${e.metrics.loss.toFixed(4)}, accuracy ${e.metrics.accuracy.toFixed(4)}`));
  trainer.on('checkpoint', (e) => console.log(`checkpoint ${e.name}`));
  const result = await trainer.run();
  console.log(`${result.status} after ${result.step} steps; best: ${JSON.stringify(result.best)}`);
  if (result.status === 'aborted') process.exitCode = 130;
}

main().catch((err) => {
  console.error(err.message);
  process.exitCode = 1;
});
