# The strata image: one binary, every target (`--target=…`). Sources run through tsx, as with npm start.
FROM node:20-bookworm-slim
WORKDIR /strata
COPY package.json package-lock.json ./
RUN npm ci --omit=dev && npm cache clean --force
COPY bin ./bin
COPY libs ./libs
COPY services ./services
COPY proto ./proto
COPY deploy ./deploy
EXPOSE 9009 9095
ENTRYPOINT ["node", "bin/strata.mjs"]
CMD ["--target=all", "--storage.dir=/data"]
