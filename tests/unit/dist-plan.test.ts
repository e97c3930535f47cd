/**
 * planDist: which backend a WORLD_SIZE > 1 run gets from what the addon was built with, and the
 * config errors (exit 2, one line) for a build without distributed support or a backend that
 * cannot run here. The addon's buildInfo() is replaced by what such builds report.
 */
import { loadConfig } from '../../lib/config';
import type { BuildInfo } from '../../lib/native/types';

let info: Partial<BuildInfo> = {};
jest.mock('../../lib/native', () => ({ buildInfo: async () => info }));
import { planDist } from '../../lib/train/dist';

const config = (sets: string[]) => loadConfig({ sets: ['DIST.WORLD_SIZE=2', 'DIST.RANK=1', 'DIST.MASTER_PORT=29999', ...sets] }).config;

describe('planDist', () => {
  test('one process: no group, the addon is not asked', async () => {
    info = {};
    expect(await planDist(loadConfig({}).config, 'cpu')).toBeUndefined();
  });

  test('auto is gloo on CPU and nccl on CUDA when compiled in; the options come from DIST', async () => {
    info = { distBackends: ['gloo', 'nccl'], cudaAvailable: true };
    expect(await planDist(config([]), 'cpu', {})).toEqual({ rank: 1, worldSize: 2, localRank: 0, masterAddr: '127.0.0.1', masterPort: 29999, backend: 'gloo', timeoutS: 300, hostStore: true, storePrefix: 'train-native/attempt-0' });
    expect((await planDist(config([]), 'cuda'))?.backend).toBe('nccl');
    expect((await planDist(config([]), 'auto'))?.backend).toBe('nccl');
    info = { distBackends: ['gloo'], cudaAvailable: true };
    expect((await planDist(config([]), 'cuda'))?.backend).toBe('gloo');
  });

  test("under torchrun's agent the ranks join its store, keys apart per restart", async () => {
    info = { distBackends: ['gloo'], cudaAvailable: false };
    expect(await planDist(config([]), 'cpu', { TORCHELASTIC_USE_AGENT_STORE: 'True', TORCHELASTIC_RESTART_COUNT: '2' })).toMatchObject({ hostStore: false, storePrefix: 'train-native/attempt-2' });
  });

  test('a build without distributed support: exit 2 saying what to install and rebuild', async () => {
    info = { distBackends: [], cudaAvailable: false };
    await expect(planDist(config([]), 'cpu')).rejects.toThrow(
      "config error: DIST.WORLD_SIZE: WORLD_SIZE 2 needs the addon's distributed support, which this build lacks (gloo's headers were missing when it was built): install them (Debian/Ubuntu: sudo apt-get install libgloo-dev) and rebuild with `npx train-native build`",
    );
  });

  test('nccl on the CPU, or not compiled in, names DIST.BACKEND', async () => {
    info = { distBackends: ['gloo', 'nccl'], cudaAvailable: false };
    await expect(planDist(config(['DIST.BACKEND=nccl']), 'cpu')).rejects.toThrow('config error: DIST.BACKEND: nccl runs collectives on CUDA devices');
    info = { distBackends: ['gloo'], cudaAvailable: true };
    await expect(planDist(config(['DIST.BACKEND=nccl']), 'cuda')).rejects.toThrow('config error: DIST.BACKEND: nccl is not compiled into this addon');
  });
});
