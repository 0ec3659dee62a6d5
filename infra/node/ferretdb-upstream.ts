/**
 * The upstream FerretDB command (cmd/ferretdb of github.com/FerretDB/FerretDB, the binary of the
 * ghcr.io/ferretdb/ferretdb image the managed store runs), built once from the Go module proxy into
 * the cache. The harness's own Mongo-wire server (infra/go/ferretdb) embeds the library and has no
 * debug handler, so the node's FerretDB image (images/ferretdb) carries this one, and the managed
 * store's probes are checked against it (test/integration/managed-stores).
 */
import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cacheDir } from '../lib/paths.ts';

/** The version of ghcr.io/ferretdb/ferretdb the CRD defaults to is 1.24.x; the harness pins 1.24.2. */
export const UPSTREAM_FERRETDB_VERSION = 'v1.24.2';

/** Path of the built binary, building it first when it is not cached (2 to 5 minutes on 2 cores). */
export function upstreamFerretdb(): string {
  const bin = join(cacheDir, `ferretdb-cmd-${UPSTREAM_FERRETDB_VERSION}`, 'ferretdb');
  if (existsSync(bin)) return bin;
  const mod = JSON.parse(
    execFileSync(
      'go',
      ['mod', 'download', '-json', `github.com/FerretDB/FerretDB@${UPSTREAM_FERRETDB_VERSION}`],
      {
        encoding: 'utf8',
        cwd: tmpdir(),
      },
    ),
  ) as { Dir: string };
  const src = mkdtempSync(join(tmpdir(), 'ferretdb-src-'));
  try {
    cpSync(mod.Dir, src, { recursive: true });
    execFileSync('chmod', ['-R', 'u+w', src]);
    // The command refuses to start without the version file its release build generates.
    writeFileSync(join(src, 'build', 'version', 'version.txt'), `${UPSTREAM_FERRETDB_VERSION}\n`);
    mkdirSync(join(bin, '..'), { recursive: true });
    execFileSync(
      'nice',
      [
        '-n',
        '10',
        'go',
        'build',
        '-trimpath',
        '-buildvcs=false',
        '-tags',
        'ferretdb_no_postgresql',
        '-o',
        `${bin}.partial`,
        './cmd/ferretdb',
      ],
      { cwd: src, stdio: ['ignore', 'ignore', 'inherit'] },
    );
    renameSync(`${bin}.partial`, bin);
  } finally {
    rmSync(src, { recursive: true, force: true });
  }
  return bin;
}
