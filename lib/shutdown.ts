/** Graceful shutdown: on SIGTERM/SIGINT run the closers once, in order, then exit. */
import type { Logger } from 'pino';

export function onShutdown(log: Logger, closers: Array<() => Promise<void>>, timeoutMs = 25_000): void {
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    log.info({ signal }, 'shutting down');
    const timer = setTimeout(() => {
      log.error('shutdown timed out');
      process.exit(1);
    }, timeoutMs);
    timer.unref();
    (async () => {
      for (const close of closers) {
        try {
          await close();
        } catch (err) {
          log.error({ err }, 'error during shutdown');
        }
      }
      process.exit(0);
    })();
  };
  process.once('SIGTERM', () => stop('SIGTERM'));
  process.once('SIGINT', () => stop('SIGINT'));
}
