import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';

/** One node per machine: the claim file decides which checkout runs it (infra/node/guard.ts). */
describe('the node claim', () => {
  let dir: string;
  const saved = { ...process.env };

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'node-guard-'));
    process.env.CREDIT_NODE_CLAIM = join(dir, 'claim.json');
    process.env.CREDIT_STATE_DIR = join(dir, 'checkout-a');
    process.env.CREDIT_NODE = 'on';
    vi.resetModules();
    vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
  });

  afterEach(() => {
    process.env = { ...saved };
    vi.restoreAllMocks();
    rmSync(dir, { recursive: true, force: true });
  });

  const load = () => import('../../../infra/node/guard.ts');
  const rootOnly = process.getuid?.() === 0;

  it.skipIf(!rootOnly)('claims a free node and records the checkout', async () => {
    const guard = await load();
    expect(guard.nodeDecision()).toEqual({ enabled: true });
    const claim = JSON.parse(readFileSync(join(dir, 'claim.json'), 'utf8')) as { stateDir: string };
    expect(claim.stateDir).toBe(join(dir, 'checkout-a'));
    expect(guard.holdsNodeClaim()).toBe(true);
    guard.releaseNodeClaim();
    expect(guard.holdsNodeClaim()).toBe(false);
  });

  it.skipIf(!rootOnly)(
    "runs without a node, saying whose it is, while another checkout's claim is live",
    async () => {
      writeFileSync(
        join(dir, 'claim.json'),
        JSON.stringify({
          stateDir: '/elsewhere/.state',
          pid: process.pid,
          claimedAt: new Date().toISOString(),
        }),
      );
      const guard = await load();
      const decision = guard.nodeDecision();
      expect(decision.enabled).toBe(false);
      expect(decision.enabled ? '' : decision.reason).toMatch(
        /belongs to the checkout using \/elsewhere\/\.state/,
      );
      // Releasing from this checkout leaves the other's claim alone.
      guard.releaseNodeClaim();
      expect(readFileSync(join(dir, 'claim.json'), 'utf8')).toContain('/elsewhere/.state');
    },
  );

  it.skipIf(!rootOnly)('takes over a stale claim whose checkout runs nothing', async () => {
    writeFileSync(
      join(dir, 'claim.json'),
      JSON.stringify({ stateDir: join(dir, 'gone'), pid: 2 ** 22 + 7, claimedAt: new Date().toISOString() }),
    );
    const guard = await load();
    expect(guard.nodeDecision()).toEqual({ enabled: true });
    expect(guard.holdsNodeClaim()).toBe(true);
  });

  it('is off with CREDIT_NODE=off, without touching the claim', async () => {
    process.env.CREDIT_NODE = 'off';
    const guard = await load();
    expect(guard.nodeDecision()).toEqual({
      enabled: false,
      reason: 'CREDIT_NODE=off: the servers and the control plane run without a node',
    });
    expect(() => readFileSync(join(dir, 'claim.json'))).toThrow();
  });

  it.skipIf(!rootOnly)('is on by default (CREDIT_NODE unset)', async () => {
    delete process.env.CREDIT_NODE;
    const guard = await load();
    expect(guard.nodeDecision()).toEqual({ enabled: true });
  });
});
