# One image for both whycry processes; docker-compose.yml picks the command
# (commands/worker.ts or commands/bot.ts). There is no build step: tsx runs the
# TypeScript sources directly.
#
# Debian (glibc), not Alpine: onnxruntime-node, @temporalio/core-bridge and the
# ffmpeg binary from @ffmpeg-installer all ship prebuilt for glibc only.
FROM node:20-bookworm-slim

WORKDIR /app

# Dependencies in their own layer, so editing the sources doesn't reinstall them.
# .npmrc has to be here before `npm ci`: it sets onnxruntime-node-install=skip
# (the CPU binaries are inside the npm package; the install script would only
# try to download GPU extras).
COPY package.json package-lock.json .npmrc ./

# Plain `npm ci` with dev dependencies included: tsx, which runs the app at run
# time, is a devDependency. (NODE_ENV=production is set only further down,
# because npm leaves dev dependencies out when it sees NODE_ENV=production.)
# Then check the native pieces here, so a broken image fails the build instead
# of the first voice note: the ffmpeg binary must run (and be executable
# by the unprivileged user, not just by root), and the onnxruntime and Temporal
# native addons must load.
RUN npm ci --include=dev --no-audit --no-fund \
 && npm cache clean --force \
 && chmod 0755 node_modules/@ffmpeg-installer/linux-*/ffmpeg \
 && node --input-type=module -e " \
      import { createRequire } from 'node:module'; \
      import { execFileSync } from 'node:child_process'; \
      const require = createRequire(process.cwd() + '/'); \
      execFileSync(require('@ffmpeg-installer/ffmpeg').path, ['-version'], { stdio: 'ignore' }); \
      await import('onnxruntime-node'); \
      await import('@temporalio/worker'); \
      console.log('native dependencies OK');"

# The sources (see .dockerignore for what stays out), including models/, which
# holds the ONNX model and its manifest (MODEL_DIR, default models/reason-v2).
# Everything stays owned by root: the app only reads it.
COPY . .

ENV NODE_ENV=production \
    WORK_DIR=/var/lib/whycry/work

# The worker's scratch folder for downloaded and decoded audio. It is created
# here, owned by the unprivileged user, so that the named volume compose mounts
# on it starts out with that ownership too.
RUN mkdir -p /var/lib/whycry/work && chown node:node /var/lib/whycry/work

# The node image's built-in unprivileged user (uid 1000).
USER node

# tsx directly rather than `npm run worker`: npm runs the script through
# `sh -c`, which does not pass SIGTERM on, so `docker stop` would kill the
# worker without letting it finish its activities. tsx itself relays signals.
CMD ["node", "--import", "tsx", "commands/worker.ts"]
