/**
 * How every workload container starts: one image, one entry point, one subcommand each.
 * The Dockerfile (WORKDIR, build output) and the operator's pod specs must agree
 * with these constants; change them here only.
 */

/** Working directory of the platform image; the compiled program lives under it. */
export const IMAGE_WORKDIR = '/app';
/** The entry point, relative to IMAGE_WORKDIR (cli/main.ts compiled by `make build`). */
export const IMAGE_ENTRYPOINT = ['node', 'dist/cli/main.js'] as const;
/** Non-root user and group the image runs as (numeric, so runAsNonRoot can be verified). */
export const IMAGE_UID = 10001;
export const IMAGE_GID = 10001;

export const SUBCOMMANDS = [
  'ingestion-api',
  'fraud-detector',
  'warehouse-loader',
  'risk-scorer',
  'migrate',
  'generator',
  'operator',
  'cases',
  'alert-delivery',
  'decision-service',
  'render',
  'load-outcomes',
] as const;
export type Subcommand = (typeof SUBCOMMANDS)[number];

/** The container command that runs one subcommand of the platform image. */
export function platformCommand(subcommand: Subcommand): string[] {
  return [...IMAGE_ENTRYPOINT, subcommand];
}

/** `repository:tag`, or the reference unchanged when it already names a tag or digest. */
export function imageRef(repository: string, tag: string): string {
  const lastSegment = repository.slice(repository.lastIndexOf('/') + 1);
  return lastSegment.includes(':') || repository.includes('@') ? repository : `${repository}:${tag}`;
}
