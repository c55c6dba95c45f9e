# The NestJS BFF. Build context: the repository root (see .dockerignore).
FROM node:24-alpine AS build
WORKDIR /src
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY . .
RUN NX_DAEMON=false npx nx build bff --outputStyle=static

# Only the packages the bundle requires (not the monorepo's Angular, sharp, AWS clients...): the build
# writes them beside main.js, with a lock cut from the root one (apps/bff/runtime-package.cjs).
FROM node:24-alpine AS deps
WORKDIR /app
COPY --from=build /src/dist/apps/bff/package.json ./package.json
COPY --from=build /src/dist/apps/bff/package-lock.json ./package-lock.json
RUN npm ci --omit=dev --no-audit --no-fund && npm cache clean --force

FROM node:24-alpine
ENV NODE_ENV=production HOST=0.0.0.0 PORT=3333
WORKDIR /app
COPY --from=deps /app/node_modules ./node_modules
COPY --from=build /src/dist/apps/bff/main.js ./dist/apps/bff/main.js
COPY --from=build /src/dist/apps/bff/main.js.map ./dist/apps/bff/main.js.map
USER node
EXPOSE 3333
HEALTHCHECK --interval=15s --timeout=3s CMD wget -qO- http://127.0.0.1:3333/api/health || exit 1
CMD ["node", "--enable-source-maps", "dist/apps/bff/main.js"]
