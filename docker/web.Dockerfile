# nginx serving the Angular build. Build context: the repository root (see .dockerignore).
# Base images by digest (docs/adr/0013): node:24.19.0-alpine3.24, its multi-platform index digest as
# docker-library/repo-info records it (repos/node/remote/24.19.0-alpine3.24.md, commit 2534b852). Bump
# the tag and the digest together, in every Dockerfile (tools/ci/src/base-images.spec.ts checks both).
ARG NODE_IMAGE=node:24.19.0-alpine3.24@sha256:d32cdf619f63fe0471182d08996dd516c6275bb5fd31ae06e55a570bd9e1ad43
# Not pinned yet (allow-listed in tools/ci/src/base-images.spec.ts): nginxinc/nginx-unprivileged is not a
# Docker Official Image, so repo-info has no record of its digests; pin it once looked up with
# `docker buildx imagetools inspect nginxinc/nginx-unprivileged:1.29-alpine`.
ARG NGINX_IMAGE=nginxinc/nginx-unprivileged:1.29-alpine

FROM ${NODE_IMAGE} AS build
WORKDIR /src
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY . .
RUN NX_DAEMON=false npx nx build web --outputStyle=static

FROM ${NGINX_IMAGE}
COPY docker/nginx.conf /etc/nginx/conf.d/default.conf
COPY --from=build /src/dist/apps/web/browser /usr/share/nginx/html
EXPOSE 8080
