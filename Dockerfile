# Dockerfile — the platform's image: the web, gitd and controller processes (charts/paas runs each with its own
# command; `node dist/main.js` runs all three in one process). Build from the repository root: docker build -t paas .
# BASE_IMAGE is overridden only to build without a registry (see test/buildah).
ARG BASE_IMAGE=node:20-slim

# Build stage: all dependencies (TypeScript among the dev ones), then `npm run build` compiles to dist/.
FROM ${BASE_IMAGE} AS build
WORKDIR /opt/paas
COPY package.json package-lock.json ./
RUN npm ci --ignore-scripts --no-audit --no-fund
COPY . .
RUN npm run build

# Runtime stage: the compiled dist/ and the production dependencies only; no TypeScript, tsx or esbuild at rest.
FROM ${BASE_IMAGE}
# git runs receive-pack and upload-pack for every push and fetch; tini reaps the processes git and hooks leave;
# openssh-client makes apps' deploy keys (ssh-keygen) and fetches ssh:// sources of webhook deploys (ssh).
RUN apt-get update \
 && apt-get install -y --no-install-recommends git tini ca-certificates openssh-client \
 && rm -rf /var/lib/apt/lists/*

WORKDIR /opt/paas
COPY package.json package-lock.json ./
# No install scripts: they only build optional native speed-ups and the embedded PostgreSQL, which production
# (an external DATABASE_URL) does not use.
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund && npm cache clean --force
COPY --from=build /opt/paas/dist ./dist
COPY bin ./bin

RUN mkdir -p /var/lib/paas && chown 1000:1000 /var/lib/paas
ENV NODE_ENV=production PAAS_DATA_DIR=/var/lib/paas
# Numeric, so Kubernetes' runAsNonRoot can check it (the node images' `node` user).
USER 1000:1000
EXPOSE 5000 2222
ENTRYPOINT ["tini", "--"]
# node itself, not `npm start` (which builds first, and whose npm process would stay resident beside the platform).
CMD ["node", "dist/main.js"]
