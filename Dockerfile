# syntax=docker/dockerfile:1
# Lightbox server image: multi-stage, runs as the unprivileged `node` user, health-checked on /healthz.
# Not built on the project's own machines (they have no container engine): test/deployment-files.test.ts checks
# that its command and settings match the code. See docs/operations.md.
ARG NODE_VERSION=20

# Stage 1: production dependencies only. tsx is a runtime dependency (the server runs its TypeScript sources, no build
# step), so `--omit=dev` leaves everything `lightbox serve` needs. The toolchain is there for native modules whose
# prebuilt binary cannot be fetched (better-sqlite3 then compiles); it stays in this stage.
FROM node:${NODE_VERSION}-bookworm-slim AS deps
WORKDIR /app
RUN apt-get update \
  && apt-get install -y --no-install-recommends python3 make g++ ca-certificates \
  && rm -rf /var/lib/apt/lists/*
COPY package.json package-lock.json .npmrc ./
RUN npm ci --omit=dev --no-audit --no-fund

# Stage 2: the runtime: node, the dependencies and the sources; no compiler, no npm cache, no tests.
FROM node:${NODE_VERSION}-bookworm-slim AS runtime
ENV NODE_ENV=production \
    PORT=8080 \
    LIGHTBOX_HOST=0.0.0.0 \
    LIGHTBOX_DATA_DIR=/data
WORKDIR /app
COPY --from=deps /app/node_modules ./node_modules
COPY package.json package-lock.json tsconfig.json ./
COPY bin ./bin
COPY src ./src
RUN mkdir -p /data && chown node:node /data
USER node
VOLUME ["/data"]
EXPOSE 8080
# node, not curl: the slim image has no curl. /healthz answers while the process serves (see docs/operations.md).
HEALTHCHECK --interval=15s --timeout=5s --start-period=30s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:' + (process.env.PORT || 8080) + '/healthz').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
# SIGTERM drains requests and jobs for LIGHTBOX_SHUTDOWN_GRACE_SECONDS (default 30): give the runtime's stop
# timeout more than that (compose: stop_grace_period; Kubernetes: terminationGracePeriodSeconds).
STOPSIGNAL SIGTERM
CMD ["node", "bin/lightbox.js", "serve", "--role", "all"]
