/**
 * `train-native launch --nproc-per-node N [--nnodes M --node-rank R --master-addr A --master-port P]
 * [--max-restarts K] -- train CONFIG …`: starts this machine's N ranks of a data-parallel run the
 * way torchrun does (RANK, LOCAL_RANK, WORLD_SIZE, LOCAL_WORLD_SIZE, MASTER_ADDR, MASTER_PORT in
 * each child's environment) and watches them:
 *
 * - a rank that exits with a failure is named, and the others are stopped (SIGTERM, then SIGKILL
 *   after a grace period: a survivor blocked in a collective fails on its own within DIST.TIMEOUT_S);
 * - with --max-restarts K the whole group is started again, up to K times, with --auto-resume, so
 *   it continues from the newest complete checkpoint (torchrun's elastic restarts, fixed size);
 *   a rank that exits 2 (bad input) is never restarted: the same input would fail again;
 * - Ctrl-C (SIGINT) or SIGTERM is forwarded once to every rank: they agree on a step, stop there
 *   and rank 0 saves one checkpoint. The children run in their own process group, so a terminal's
 *   Ctrl-C reaches them only through this forwarding (exactly once).
 *
 * Exit status: 0 when every rank finished; a rank's 130 / 143 after a forwarded stop; 2 for bad
 * flags or a rank that exited 2; otherwise 1 once the restarts are used up.
 */
import { spawn, type ChildProcess } from 'child_process';
import { join } from 'path';
import { Command } from 'commander';
import type { RunState } from './doctor-command';
import { CliError } from './errors';
import { CliIO, processIO } from './io';

export interface LaunchOptions {
  nprocPerNode?: string;
  nnodes?: string;
  nodeRank?: string;
  masterAddr?: string;
  masterPort?: string;
  maxRestarts?: string;
}

export interface LaunchPlan {
  nprocPerNode: number;
  nnodes: number;
  nodeRank: number;
  masterAddr: string;
  masterPort: number;
  maxRestarts: number;
  /** The train-native command each rank runs (`train CONFIG …`). */
  command: string[];
}

/** Seconds a rank gets to exit after SIGTERM once a peer failed, before SIGKILL. */
const STOP_GRACE_S = 15;

function intFlag(value: string | undefined, flag: string, def: number, min: number, max = Number.MAX_SAFE_INTEGER): number {
  if (value === undefined) return def;
  if (!/^\d+$/.test(value) || Number(value) < min || Number(value) > max) {
    throw new CliError(`${flag} must be an integer from ${min}${max < Number.MAX_SAFE_INTEGER ? ` to ${max}` : ' up'}, got '${value}'`, 2);
  }
  return Number(value);
}

/** Checks every flag (exit 2 naming it) and the command to launch. */
export function planLaunch(opts: LaunchOptions, command: readonly string[]): LaunchPlan {
  const nprocPerNode = intFlag(opts.nprocPerNode, '--nproc-per-node', 1, 1, 1024);
  const nnodes = intFlag(opts.nnodes, '--nnodes', 1, 1, 65536);
  const nodeRank = intFlag(opts.nodeRank, '--node-rank', 0, 0);
  if (nodeRank >= nnodes) throw new CliError(`--node-rank must be less than --nnodes (${nnodes}), got ${nodeRank}`, 2);
  const masterPort = intFlag(opts.masterPort, '--master-port', 29500, 1, 65535);
  const maxRestarts = intFlag(opts.maxRestarts, '--max-restarts', 0, 0, 1000);
  const masterAddr = opts.masterAddr ?? '127.0.0.1';
  if (masterAddr.trim() === '') throw new CliError('--master-addr must be a host name or address, got an empty string', 2);
  if (nnodes > 1 && opts.masterAddr === undefined) throw new CliError('--master-addr is required with --nnodes > 1: the address of the machine running node rank 0', 2);
  if (command.length === 0) throw new CliError('launch needs the command to run after --, e.g. train-native launch --nproc-per-node 2 -- train my.yaml', 2);
  if (command[0] !== 'train') throw new CliError(`launch runs \`train\` on every rank; got '${command[0]}' after -- (e.g. -- train my.yaml)`, 2);
  return { nprocPerNode, nnodes, nodeRank, masterAddr, masterPort, maxRestarts, command: [...command] };
}

/** The environment of local rank `local`: torchrun's variables. */
export function rankEnv(plan: LaunchPlan, local: number, base: NodeJS.ProcessEnv = process.env): NodeJS.ProcessEnv {
  return {
    ...base,
    RANK: String(plan.nodeRank * plan.nprocPerNode + local),
    LOCAL_RANK: String(local),
    WORLD_SIZE: String(plan.nnodes * plan.nprocPerNode),
    LOCAL_WORLD_SIZE: String(plan.nprocPerNode),
    GROUP_RANK: String(plan.nodeRank),
    MASTER_ADDR: plan.masterAddr,
    MASTER_PORT: String(plan.masterPort),
  };
}

/** A restart continues the newest complete checkpoint. */
export function restartCommand(command: readonly string[]): string[] {
  return command.includes('--auto-resume') ? [...command] : [...command, '--auto-resume'];
}

interface Exit {
  rank: number;
  pid: number;
  code: number | null;
  signal: NodeJS.Signals | null;
}

function describeExit(e: Exit): string {
  return e.signal !== null ? `was killed by ${e.signal}` : `exited with status ${e.code}`;
}

/** Runs one attempt: every local rank until all have exited. */
async function runGroup(plan: LaunchPlan, command: string[], io: CliIO, interrupted: { count: number; children: ChildProcess[] }): Promise<Exit[]> {
  const cli = join(__dirname, '..', 'cli.js');
  const children: ChildProcess[] = [];
  const exits: Exit[] = [];
  let stopping = false;
  let killTimer: NodeJS.Timeout | null = null;
  const done = new Promise<void>((resolveAll) => {
    for (let local = 0; local < plan.nprocPerNode; local++) {
      const rank = plan.nodeRank * plan.nprocPerNode + local;
      // Own process group (detached): a terminal's Ctrl-C reaches the ranks once, through launch.
      const child = spawn(process.execPath, [cli, ...command], { env: rankEnv(plan, local), stdio: 'inherit', detached: true });
      children.push(child);
      io.stderr(`launch: rank ${rank} (local ${local}) started, pid ${child.pid ?? '?'}\n`);
      child.on('exit', (code, signal) => {
        const e: Exit = { rank, pid: child.pid ?? -1, code, signal };
        exits.push(e);
        const failed = code !== 0;
        if (failed && !stopping && interrupted.count === 0) {
          stopping = true;
          const others = children.filter((c) => c !== child && c.exitCode === null && c.signalCode === null);
          io.stderr(`launch: rank ${rank} (pid ${e.pid}) ${describeExit(e)}${others.length ? '; stopping the other ranks' : ''}\n`);
          for (const c of others) c.kill('SIGTERM');
          killTimer = setTimeout(() => {
            for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
          }, STOP_GRACE_S * 1000);
        }
        if (exits.length === plan.nprocPerNode) {
          if (killTimer) clearTimeout(killTimer);
          resolveAll();
        }
      });
    }
  });
  interrupted.children = children;
  await done;
  interrupted.children = [];
  return exits;
}

export async function runLaunch(opts: LaunchOptions, command: readonly string[], io: CliIO, state: RunState): Promise<void> {
  const plan = planLaunch(opts, command);
  const interrupted = { count: 0, children: [] as ChildProcess[] };
  let lastSignal = 'SIGINT' as NodeJS.Signals;
  const forward = (signal: NodeJS.Signals) => {
    interrupted.count++;
    lastSignal = signal;
    if (interrupted.count === 1) io.stderr(`\nlaunch: ${signal} forwarded to every rank: they stop at a common step and save a checkpoint (again to quit now)\n`);
    for (const c of interrupted.children) if (c.exitCode === null && c.signalCode === null) c.kill(signal);
  };
  process.on('SIGINT', forward);
  process.on('SIGTERM', forward);
  try {
    let cmd = plan.command;
    for (let attempt = 0; ; attempt++) {
      const exits = await runGroup(plan, cmd, io, interrupted);
      if (exits.every((e) => e.code === 0)) {
        state.exitCode = 0;
        return;
      }
      if (interrupted.count > 0) {
        // A forwarded stop: the ranks' own status (130 / 143), or the signal's.
        const codes = exits.map((e) => e.code).filter((c): c is number => c !== null && c !== 0);
        state.exitCode = codes.length > 0 ? Math.max(...codes) : lastSignal === 'SIGTERM' ? 143 : 130;
        return;
      }
      const first = exits.find((e) => e.code !== 0) as Exit;
      if (exits.some((e) => e.code === 2)) {
        io.stderr('launch: a rank reported bad input (exit status 2); not restarting\n');
        state.exitCode = 2;
        return;
      }
      if (attempt >= plan.maxRestarts) {
        io.stderr(`launch: rank ${first.rank} ${describeExit(first)}${plan.maxRestarts > 0 ? `; no restarts left (--max-restarts ${plan.maxRestarts})` : ''}\n`);
        state.exitCode = 1;
        return;
      }
      cmd = restartCommand(plan.command);
      io.stderr(`launch: restarting all ${plan.nprocPerNode} local ranks with --auto-resume (restart ${attempt + 1} of ${plan.maxRestarts})\n`);
    }
  } finally {
    process.off('SIGINT', forward);
    process.off('SIGTERM', forward);
  }
}

export function launchCommand(io: CliIO = processIO, state: RunState = { exitCode: 0 }): Command {
  const cmd = new Command('launch')
    .summary('start the ranks of a data-parallel run on this machine (like torchrun)')
    .description(
      'Starts --nproc-per-node processes running the train-native command after --, each with ' +
        "torchrun's environment (RANK, LOCAL_RANK, WORLD_SIZE, LOCAL_WORLD_SIZE, MASTER_ADDR, MASTER_PORT), " +
        'and watches them: a rank that fails is named and the others are stopped; --max-restarts K ' +
        'starts the whole group again with --auto-resume. Ctrl-C is forwarded to every rank: they ' +
        'stop at a common step and save one checkpoint. Multi-node: run launch on every machine with ' +
        'the same --nnodes, --master-addr (node 0) and --master-port, and its own --node-rank.',
    )
    .option('--nproc-per-node <N>', 'processes on this machine (default 1)')
    .option('--nnodes <M>', 'machines in the run (default 1)')
    .option('--node-rank <R>', 'this machine, 0 … M-1 (default 0)')
    .option('--master-addr <A>', 'address of node 0, where rank 0 hosts the rendezvous store (default 127.0.0.1)')
    .option('--master-port <P>', 'port of the rendezvous store (default 29500)')
    .option('--max-restarts <K>', 'restart the whole group up to K times after a failure, with --auto-resume (default 0)')
    .argument('<command...>', 'the train-native command for every rank, after --: train CONFIG [flags]')
    .passThroughOptions();
  cmd.addHelpText(
    'after',
    [
      '',
      'Examples:',
      '  $ train-native launch --nproc-per-node 2 -- train my.yaml',
      '  $ train-native launch --nproc-per-node 2 --max-restarts 3 -- train my.yaml --epochs 20',
      '  $ train-native launch --nnodes 2 --node-rank 0 --master-addr 10.0.0.1 --nproc-per-node 8 -- train my.yaml   # on node 0',
      '  $ torchrun --no-python --nproc-per-node 2 npx train-native train my.yaml    # the same contract',
    ].join('\n'),
  );
  cmd.action(async (command: string[], opts: LaunchOptions) => {
    await runLaunch(opts, command, io, state);
  });
  return cmd;
}
