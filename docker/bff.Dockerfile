# The NestJS BFF. Build context: the repository root (see .dockerignore).
# Base images by digest (docs/adr/0013): node:24.19.0-alpine3.24, its multi-platform index digest as
# docker-library/repo-info records it (repos/node/remote/24.19.0-alpine3.24.md, commit 2534b852). Bump
# the tag and the digest together, in every Dockerfile (tools/ci/src/base-images.spec.ts checks both).
ARG NODE_IMAGE=node:24.19.0-alpine3.24@sha256:d32cdf619f63fe0471182d08996dd516c6275bb5fd31ae06e55a570bd9e1ad43

FROM ${NODE_IMAGE} AS build
WORKDIR /src
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY . .
RUN NX_DAEMON=false npx nx build bff --outputStyle=static

# Only the packages the bundle requires (not the monorepo's Angular, sharp, AWS clients...): the build
# writes them beside main.js, with a lock cut from the root one (apps/bff/runtime-package.cjs).
FROM ${NODE_IMAGE} AS deps
WORKDIR /app
COPY --from=build /src/dist/apps/bff/package.json ./package.json
COPY --from=build /src/dist/apps/bff/package-lock.json ./package-lock.json
RUN npm ci --omit=dev --no-audit --no-fund && npm cache clean --force

FROM ${NODE_IMAGE}
ENV NODE_ENV=production HOST=0.0.0.0 PORT=3333
WORKDIR /app
COPY --from=deps /app/node_modules ./node_modules
COPY --from=build /src/dist/apps/bff/main.js ./dist/apps/bff/main.js
COPY --from=build /src/dist/apps/bff/main.js.map ./dist/apps/bff/main.js.map
USER node
EXPOSE 3333
HEALTHCHECK --interval=15s --timeout=3s CMD wget -qO- http://127.0.0.1:3333/api/health || exit 1
CMD ["node", "--enable-source-maps", "dist/apps/bff/main.js"]
