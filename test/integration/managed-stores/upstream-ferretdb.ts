/** The upstream FerretDB command, built by the harness for the node's FerretDB image. */
export { UPSTREAM_FERRETDB_VERSION, upstreamFerretdb } from '../../../infra/node/ferretdb-upstream.ts';
