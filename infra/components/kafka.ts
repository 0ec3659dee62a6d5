/**
 * Apache Kafka 4 in KRaft mode: one JVM that is both broker and controller, jars resolved from
 * Maven Central by infra/provision/kafka.sh, run with the machine's Java 17. Every start formats a
 * fresh cluster (new cluster id, empty log dirs): the standalone controller records its own
 * endpoint in the metadata log, and ports are chosen anew on each start.
 *
 * When this checkout runs the node, the broker has a second listener on the node address (the pod
 * bridge's gateway, infra/node/config.ts) that advertises that address, so pods reach the same broker
 * through the node (`podBootstrapServers`) while clients on the host keep using loopback. Nothing but
 * loopback and the node address is bound.
 */
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { closeSync, existsSync, mkdirSync, openSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { isAbsolute, join } from 'node:path';
import type { Admin } from '@platformatic/kafka';
import { createAdmin } from '../../workloads/shared/kafka-client.ts';
import type { Component } from '../lib/component.ts';
import { cacheDir, logDir, repoRoot, stateDir } from '../lib/paths.ts';
import { freePort, progress, startDaemon, stopDaemon, waitUntil } from '../lib/process.ts';
import type { KafkaInfo } from '../lib/state.ts';
import { NODE_IP } from '../node/config.ts';
import { nodeEnabled } from '../node/guard.ts';
import { prepareNetwork, recordHostBefore } from '../node/host.ts';

export const kafkaVersion = '4.1.1';
const distDir = join(cacheDir, `kafka-${kafkaVersion}`);
const home = join(stateDir, 'kafka');
const heap = ['-Xms256m', '-Xmx768m'];

export const kafka: Component<'kafka'> = {
  key: 'kafka',
  daemons: ['kafka'],

  async provision() {
    if (!existsSync(join(distDir, '.complete'))) {
      progress('kafka', `fetching Kafka ${kafkaVersion} jars with mvn into ${distDir} (once)`);
      execFileSync('bash', [join(repoRoot, 'infra', 'provision', 'kafka.sh'), kafkaVersion, distDir], {
        stdio: ['ignore', 'inherit', 'inherit'],
      });
    }
    if (!existsSync(classArchive())) await recordClassArchive();
  },

  async start() {
    await stopDaemon('kafka');
    rmSync(home, { recursive: true, force: true });
    const forPods = nodeEnabled();
    if (forPods) {
      // The node address must exist before the broker binds its pod listener to it (as for the apiserver).
      mkdirSync(join(stateDir, 'node'), { recursive: true });
      recordHostBefore();
      prepareNetwork();
    }
    const node = await prepareNode(home, 'kafka-server.log', forPods);
    startDaemon({ name: 'kafka', command: 'java', args: brokerArgs(node, classArchiveFlags()), cwd: home });
    const info: KafkaInfo = {
      bootstrapServers: `127.0.0.1:${node.port}`,
      port: node.port,
      controllerPort: node.controllerPort,
      ...(node.podPort === undefined ? {} : { podBootstrapServers: `${NODE_IP}:${node.podPort}` }),
      version: kafkaVersion,
    };
    await waitUntil('Kafka to answer the admin API', () => adminAnswers(info.bootstrapServers), {
      timeoutMs: 180_000,
      intervalMs: 500,
      logName: 'kafka',
    });
    // The first consumer group makes the broker create and load __consumer_offsets; doing it here
    // spares tests a "coordinator is loading" crash-and-restart of their first consumer.
    await waitUntil('the group coordinator to load', () => groupCoordinatorReady(info.bootstrapServers), {
      timeoutMs: 60_000,
      intervalMs: 500,
      logName: 'kafka',
    });
    return info;
  },

  async healthy(info) {
    // A broker started for another node setting is restarted with the current one (pod listener or not).
    if ((info.podBootstrapServers !== undefined) !== nodeEnabled()) return false;
    return adminAnswers(info.bootstrapServers);
  },
};

export interface KafkaInstanceOptions {
  /** Daemon name (PID file `.state/pids/<name>.pid`, log `.state/logs/<name>.log`); not 'kafka'. */
  name: string;
  /** Ports to listen on; pass the ports of an earlier start to bring the same broker back. */
  port?: number;
  controllerPort?: number;
}

/**
 * An extra single-node broker beside the harness's, for tests that must stop and restart a broker
 * (fault tests) without touching the shared one. Its home is `.state/<name>`; the storage is formatted
 * only when empty, so stopping (`stopDaemon(name)`) and starting again with the same name and ports
 * brings the same broker back with its data. Remove the home when done (`kafkaInstanceHome(name)`).
 */
export async function startKafkaInstance(opts: KafkaInstanceOptions): Promise<KafkaInfo> {
  if (opts.name === 'kafka') throw new Error("'kafka' is the harness's broker; pick another name");
  if (!existsSync(join(distDir, '.complete'))) await kafka.provision();
  const instanceHome = kafkaInstanceHome(opts.name);
  const dataDir = join(instanceHome, 'data');
  mkdirSync(dataDir, { recursive: true });
  const port = opts.port ?? (await freePort());
  let controllerPort = opts.controllerPort ?? (await freePort());
  while (controllerPort === port) controllerPort = await freePort();
  const serverProperties = join(instanceHome, 'server.properties');
  writeFileSync(serverProperties, serverConfig({ port, controllerPort, dataDir }));
  const log4j = join(instanceHome, 'log4j2.properties');
  writeFileSync(log4j, log4jConfig(`${opts.name}-server.log`));
  if (!existsSync(join(dataDir, 'meta.properties'))) formatStorage(serverProperties, log4j);
  startDaemon({
    name: opts.name,
    command: 'java',
    args: [
      '-Xms128m',
      '-Xmx384m',
      '-XX:+UseSerialGC',
      ...classArchiveFlags(),
      ...jvmBase(log4j),
      'kafka.Kafka',
      serverProperties,
    ],
    cwd: instanceHome,
  });
  const info: KafkaInfo = {
    bootstrapServers: `127.0.0.1:${port}`,
    port,
    controllerPort,
    version: kafkaVersion,
  };
  await waitUntil(`Kafka instance ${opts.name}`, () => adminAnswers(info.bootstrapServers), {
    timeoutMs: 120_000,
    intervalMs: 500,
    logName: opts.name,
  });
  return info;
}

export function kafkaInstanceHome(name: string): string {
  return join(stateDir, name);
}

interface KafkaNode {
  port: number;
  controllerPort: number;
  /** Port of the listener on the node address, for pods (when the node runs). */
  podPort?: number;
  serverProperties: string;
  log4j: string;
}

/** Writes the configuration of a single-node cluster under `dir` and formats its storage. */
async function prepareNode(dir: string, serverLog: string, forPods = false): Promise<KafkaNode> {
  const dataDir = join(dir, 'data');
  mkdirSync(dataDir, { recursive: true });
  const port = await freePort();
  let controllerPort = await freePort();
  while (controllerPort === port) controllerPort = await freePort();
  let podPort: number | undefined;
  while (forPods && (podPort === undefined || podPort === port || podPort === controllerPort))
    podPort = await freePort();
  const serverProperties = join(dir, 'server.properties');
  writeFileSync(serverProperties, serverConfig({ port, controllerPort, dataDir, podPort }));
  const log4j = join(dir, 'log4j2.properties');
  writeFileSync(log4j, log4jConfig(serverLog));

  progress('kafka', 'formatting KRaft storage');
  formatStorage(serverProperties, log4j);
  return { port, controllerPort, podPort, serverProperties, log4j };
}

/** `kafka-storage format --standalone` with a new cluster id, for the node `serverProperties` describes. */
function formatStorage(serverProperties: string, log4j: string): void {
  const format = spawnSync(
    'java',
    [
      // A short-lived tool: C1-only JIT and the serial collector start it about twice as fast.
      '-XX:TieredStopAtLevel=1',
      '-XX:+UseSerialGC',
      ...jvmBase(log4j),
      'kafka.tools.StorageTool',
      'format',
      // `=` form: a random base64url id may start with '-', which the parser would take for a flag.
      `--cluster-id=${randomBytes(16).toString('base64url')}`,
      '--config',
      serverProperties,
      '--standalone',
    ],
    { encoding: 'utf8' },
  );
  if (format.status !== 0)
    throw new Error(`kafka storage format failed (exit ${format.status}): ${format.stderr || format.stdout}`);
}

function brokerArgs(node: KafkaNode, extra: readonly string[]): string[] {
  return [
    ...heap,
    '-XX:+UseG1GC',
    '-XX:MaxGCPauseMillis=20',
    '-XX:+ExitOnOutOfMemoryError',
    ...extra,
    ...jvmBase(node.log4j),
    'kafka.Kafka',
    node.serverProperties,
  ];
}

/**
 * Class-data-sharing archive of the broker's classes (about 50 MB), keyed by the JVM build: with
 * it the broker starts roughly a third faster. Missing or unusable → the JVM runs without it.
 */
function classArchive(): string {
  const r = spawnSync('java', ['-version'], { encoding: 'utf8' });
  const jvm = createHash('sha256').update(`${r.stderr}${r.stdout}`).digest('hex').slice(0, 10);
  return join(distDir, `broker-classes-${jvm}.jsa`);
}

function classArchiveFlags(): string[] {
  const archive = classArchive();
  return existsSync(archive)
    ? [`-XX:SharedArchiveFile=${archive}`, '-Xlog:cds=off', '-Xlog:cds+dynamic=off']
    : [];
}

/**
 * Starts a throw-away broker with -XX:ArchiveClassesAtExit, waits until it answers, stops it
 * gracefully (the JVM writes the archive on exit) and keeps the archive. Failure only costs speed.
 */
async function recordClassArchive(): Promise<void> {
  const archive = classArchive();
  const dir = join(distDir, 'cds-recording');
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  progress('kafka', 'recording a class-data archive with a throw-away broker (once; speeds up every start)');
  const partial = `${archive}.partial`;
  rmSync(partial, { force: true });
  try {
    const node = await prepareNode(dir, join(dir, 'server.log'));
    const out = openSync(join(dir, 'stdout.log'), 'a');
    const child = spawn('java', brokerArgs(node, [`-XX:ArchiveClassesAtExit=${partial}`]), {
      cwd: dir,
      stdio: ['ignore', out, out],
    });
    closeSync(out);
    const exited = new Promise<number | null>((resolveExit) => child.on('exit', (code) => resolveExit(code)));
    try {
      await waitUntil('the recording broker to answer', () => adminAnswers(`127.0.0.1:${node.port}`), {
        timeoutMs: 180_000,
        intervalMs: 500,
      });
    } finally {
      child.kill('SIGTERM');
    }
    const timer = setTimeout(() => child.kill('SIGKILL'), 90_000);
    await exited;
    clearTimeout(timer);
    if (!existsSync(partial)) throw new Error('the JVM wrote no archive');
    renameSync(partial, archive);
    progress('kafka', `class-data archive ${archive}`);
  } catch (err) {
    rmSync(partial, { force: true });
    progress(
      'kafka',
      `no class-data archive (${err instanceof Error ? err.message : String(err)}); starts stay slower`,
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function jvmBase(log4jFile: string): string[] {
  return [
    '-Djava.awt.headless=true',
    `-Dlog4j2.configurationFile=${log4jFile}`,
    `-Dkafka.logs.dir=${logDir}`,
    '-cp',
    `${join(distDir, 'libs')}/*`,
  ];
}

function serverConfig(o: {
  port: number;
  controllerPort: number;
  dataDir: string;
  podPort?: number;
}): string {
  // POD: the listener on the node address, advertising that address to the pods that connect to it.
  const pod = o.podPort === undefined ? '' : `,POD://${NODE_IP}:${o.podPort}`;
  return `${[
    '# Written by infra/components/kafka.ts on every start; single node, KRaft combined mode.',
    'process.roles=broker,controller',
    'node.id=1',
    `controller.quorum.bootstrap.servers=127.0.0.1:${o.controllerPort}`,
    `listeners=PLAINTEXT://127.0.0.1:${o.port},CONTROLLER://127.0.0.1:${o.controllerPort}${pod}`,
    `advertised.listeners=PLAINTEXT://127.0.0.1:${o.port},CONTROLLER://127.0.0.1:${o.controllerPort}${pod}`,
    'controller.listener.names=CONTROLLER',
    'inter.broker.listener.name=PLAINTEXT',
    `listener.security.protocol.map=CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT${pod === '' ? '' : ',POD:PLAINTEXT'}`,
    `log.dirs=${o.dataDir}`,
    'num.partitions=3',
    'default.replication.factor=1',
    'min.insync.replicas=1',
    'offsets.topic.replication.factor=1',
    'offsets.topic.num.partitions=10',
    'transaction.state.log.replication.factor=1',
    'transaction.state.log.min.isr=1',
    'transaction.state.log.num.partitions=10',
    'share.coordinator.state.topic.replication.factor=1',
    'share.coordinator.state.topic.min.isr=1',
    'group.initial.rebalance.delay.ms=0',
    'auto.create.topics.enable=false',
    'delete.topic.enable=true',
    'num.network.threads=2',
    'num.io.threads=4',
    'log.retention.hours=24',
    'log.segment.bytes=67108864',
    '',
  ].join('\n')}`;
}

/**
 * INFO and above to `serverLog` (a file name in `.state/logs`, or an absolute path), rolled at 10 MB, 3 kept; the daemon's own
 * output (`.state/logs/kafka.log`) gets WARN and above only. Per-partition and per-request chatter
 * is held at WARN.
 */
function log4jConfig(serverLog = 'kafka-server.log'): string {
  const file = isAbsolute(serverLog) ? serverLog : join(logDir, serverLog);
  const quiet = [
    'kafka.request.logger',
    'kafka.network.RequestChannel$',
    'state.change.logger',
    'kafka.log',
    'org.apache.kafka.storage.internals.log',
    'kafka.cluster.Partition',
    'kafka.server.ReplicaFetcherManager',
    'kafka.server.ReplicaAlterLogDirsManager',
    'org.apache.kafka.clients.NetworkClient',
    'kafka.coordinator.group',
    'org.apache.kafka.coordinator.group',
    // One line per partition on every topic creation and group-coordinator load.
    'org.apache.kafka.controller.ReplicationControlManager',
    'org.apache.kafka.coordinator.common.runtime.CoordinatorRuntime',
    // Each client and the broker dump their whole configuration (hundreds of lines) at INFO.
    'org.apache.kafka.common.config.AbstractConfig',
  ];
  return `${[
    'status = warn',
    'name = credit-harness-kafka',
    'appender.stdout.type = Console',
    'appender.stdout.name = STDOUT',
    'appender.stdout.layout.type = PatternLayout',
    'appender.stdout.layout.pattern = [%d] %p %m (%c)%n',
    'appender.stdout.filter.threshold.type = ThresholdFilter',
    'appender.stdout.filter.threshold.level = warn',
    'appender.server.type = RollingFile',
    'appender.server.name = SERVER',
    `appender.server.fileName = ${file}`,
    `appender.server.filePattern = ${file}.%i`,
    'appender.server.layout.type = PatternLayout',
    'appender.server.layout.pattern = [%d] %p %m (%c)%n',
    'appender.server.policies.type = Policies',
    'appender.server.policies.size.type = SizeBasedTriggeringPolicy',
    'appender.server.policies.size.size = 10MB',
    'appender.server.strategy.type = DefaultRolloverStrategy',
    'appender.server.strategy.max = 3',
    'rootLogger.level = info',
    'rootLogger.appenderRef.stdout.ref = STDOUT',
    'rootLogger.appenderRef.server.ref = SERVER',
    ...quiet.flatMap((name, i) => [`logger.q${i}.name = ${name}`, `logger.q${i}.level = warn`]),
    '',
  ].join('\n')}`;
}

async function adminAnswers(bootstrapServers: string): Promise<boolean> {
  return withAdmin(bootstrapServers, 0, async (admin) => {
    const cluster = await admin.metadata({ topics: [], forceUpdate: true });
    await admin.listTopics();
    return cluster.brokers.size > 0;
  });
}

async function groupCoordinatorReady(bootstrapServers: string): Promise<boolean> {
  // Retries inside the client: a fresh client needs a metadata refresh before it can find the coordinator.
  return withAdmin(bootstrapServers, 3, async (admin) => {
    const groups = await admin.describeGroups({ groups: ['credit-infra-probe'] });
    // The client throws when the group's error code is set (e.g. COORDINATOR_LOAD_IN_PROGRESS).
    return groups.size === 1 && groups.get('credit-infra-probe')?.id === 'credit-infra-probe';
  });
}

async function withAdmin(
  bootstrapServers: string,
  retries: number,
  check: (admin: Admin) => Promise<boolean>,
): Promise<boolean> {
  const admin = createAdmin({
    clientId: 'credit-infra-health',
    brokers: [bootstrapServers],
    connectionTimeoutMs: 2_000,
    requestTimeoutMs: 5_000,
    retry: { retries, initialRetryTime: 200 },
  });
  try {
    return await check(admin);
  } catch {
    return false;
  } finally {
    await admin.close().catch(() => {});
  }
}
