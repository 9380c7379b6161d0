# GeminiHooks receiver. Build: docker build -t geminihooks .
# Run:   docker run -p 8080:8080 -v geminihooks-data:/data -e GeminiHooks__Static__Secrets__0=whsec_... geminihooks

FROM mcr.microsoft.com/dotnet/sdk:10.0 AS build
WORKDIR /src
# Restore first, from the project files only, so source edits do not invalidate the package layer.
COPY global.json Directory.Build.props Directory.Packages.props appsettings.json ./
COPY src/GeminiHooks/GeminiHooks.csproj src/GeminiHooks/
COPY src/GeminiHooks.Postgres/GeminiHooks.Postgres.csproj src/GeminiHooks.Postgres/
COPY src/GeminiHooks.Server/GeminiHooks.Server.csproj src/GeminiHooks.Server/
RUN dotnet restore src/GeminiHooks.Server/GeminiHooks.Server.csproj
COPY src/GeminiHooks/ src/GeminiHooks/
COPY src/GeminiHooks.Postgres/ src/GeminiHooks.Postgres/
COPY src/GeminiHooks.Server/ src/GeminiHooks.Server/
RUN dotnet publish src/GeminiHooks.Server/GeminiHooks.Server.csproj -c Release -o /app --no-restore

FROM mcr.microsoft.com/dotnet/aspnet:10.0 AS runtime
WORKDIR /app
COPY --from=build /app ./
# The image's non-root user "app" owns the data volume; the process never runs as root.
RUN mkdir -p /data && chown app:app /data
USER app
ENV ASPNETCORE_ENVIRONMENT=Production \
    ASPNETCORE_HTTP_PORTS=8080 \
    GeminiHooks__Store__ConnectionString="Data Source=/data/geminihooks.db"
VOLUME ["/data"]
EXPOSE 8080
HEALTHCHECK --interval=30s --timeout=5s --start-period=15s --retries=3 \
    CMD ["dotnet", "GeminiHooks.Server.dll", "healthcheck"]
ENTRYPOINT ["dotnet", "GeminiHooks.Server.dll"]
