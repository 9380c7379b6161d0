# GeminiHooks receiver. Build: docker build -t geminihooks .
# Run:   docker run --read-only --tmpfs /tmp -p 8080:8080 -v geminihooks-data:/data \
#          -e GeminiHooks__Static__Secrets__0=whsec_... geminihooks
# Only /data (the SQLite store, archives) must be writable; /tmp is the runtime's scratch space (docs/operations.md).

FROM mcr.microsoft.com/dotnet/sdk:10.0 AS build
WORKDIR /src
# Restore first, from the project files only, so source edits do not invalidate the package layer.
COPY global.json Directory.Build.props Directory.Packages.props .editorconfig appsettings.json ./
COPY src/GeminiHooks/GeminiHooks.csproj src/GeminiHooks/
COPY src/GeminiHooks.Postgres/GeminiHooks.Postgres.csproj src/GeminiHooks.Postgres/
COPY src/GeminiHooks.Brokers/GeminiHooks.Brokers.csproj src/GeminiHooks.Brokers/
COPY src/GeminiHooks.S3/GeminiHooks.S3.csproj src/GeminiHooks.S3/
COPY src/GeminiHooks.Server/GeminiHooks.Server.csproj src/GeminiHooks.Server/
RUN dotnet restore src/GeminiHooks.Server/GeminiHooks.Server.csproj
COPY src/GeminiHooks/ src/GeminiHooks/
COPY src/GeminiHooks.Postgres/ src/GeminiHooks.Postgres/
COPY src/GeminiHooks.Brokers/ src/GeminiHooks.Brokers/
COPY src/GeminiHooks.S3/ src/GeminiHooks.S3/
COPY src/GeminiHooks.Server/ src/GeminiHooks.Server/
RUN dotnet publish src/GeminiHooks.Server/GeminiHooks.Server.csproj -c Release -o /app --no-restore
# The runtime image has no shell to make the data folder in: it is made here and copied over.
RUN mkdir -p /rootfs/data

# Chiseled: no shell, no package manager, non-root user "app" (uid 1654) by default. Pinned by digest so a rebuild
# gets the same bytes; to move to a newer patch, read the tag's digest with
#   docker buildx imagetools inspect mcr.microsoft.com/dotnet/aspnet:10.0-noble-chiseled
# and replace it here (docs/operations.md, "Container").
FROM mcr.microsoft.com/dotnet/aspnet:10.0-noble-chiseled@sha256:48e51f2f6798897be7ac4e775c049ed8fe60d3190f637e1f9c9dc7513efa659c AS runtime
WORKDIR /app
COPY --from=build /app ./
# /data belongs to the app user and no one else: the database and archives hold event data.
COPY --from=build --chown=$APP_UID:$APP_UID --chmod=0700 /rootfs/ /
USER $APP_UID
ENV ASPNETCORE_ENVIRONMENT=Production \
    ASPNETCORE_HTTP_PORTS=8080 \
    GeminiHooks__Store__ConnectionString="Data Source=/data/geminihooks.db"
VOLUME ["/data"]
# 8080: deliveries (and /admin); 9464: the Prometheus scrape only (GeminiHooks:Metrics:Port), keep it unpublished.
EXPOSE 8080 9464
HEALTHCHECK --interval=30s --timeout=5s --start-period=15s --retries=3 \
    CMD ["dotnet", "GeminiHooks.Server.dll", "healthcheck"]
ENTRYPOINT ["dotnet", "GeminiHooks.Server.dll"]
