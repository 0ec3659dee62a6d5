# syntax=docker/dockerfile:1
# The platform image: one image, one entry point, a subcommand per workload
# (ingestion-api, fraud-detector, warehouse-loader, risk-scorer, migrate, generator, operator).
# WORKDIR, the entry point and the user must match api/image.ts (a test checks it).
# BASE: the Node.js image both stages start from; the default is the public image of the version in
# .node-version (a test checks they agree). Override it to build from a mirror or a local image:
#   docker build --build-arg BASE=registry.example/node:24.22.3-bookworm-slim .

ARG BASE=node:24.22.3-bookworm-slim

FROM ${BASE} AS build
WORKDIR /src
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY cli ./cli
COPY lib ./lib
COPY api ./api
COPY operator ./operator
COPY cdk8s ./cdk8s
COPY workloads ./workloads
COPY dashboards ./dashboards
COPY crds ./crds
RUN npx tsc -p tsconfig.build.json \
 && find workloads dashboards crds -type f \( -name '*.sql' -o -name '*.yaml' -o -name '*.yml' -o -name '*.json' \) \
      -exec sh -c 'mkdir -p "dist/$(dirname "$1")" && cp "$1" "dist/$1"' _ {} \; \
 && npm prune --omit=dev --no-audit --no-fund

FROM ${BASE}
ENV NODE_ENV=production
WORKDIR /app
COPY --from=build --chown=0:0 /src/package.json ./package.json
COPY --from=build --chown=0:0 /src/node_modules ./node_modules
COPY --from=build --chown=0:0 /src/dist ./dist
# Numeric non-root user, so runAsNonRoot can be verified by the kubelet.
USER 10001:10001
ENTRYPOINT ["node", "dist/cli/main.js"]
CMD ["--help"]
