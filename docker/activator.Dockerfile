# syntax=docker/dockerfile:1
# Image ghcr.io/ingress-knative/activator: activator (buffers and load-balances requests for Revisions at or near zero).
#
# Build from the repository root (the context needs src/ and the shared build files):
#   docker build -f docker/activator.Dockerfile -t ghcr.io/ingress-knative/activator:0.1.0 .
#
# Every image carries the same `ingress` executable; the ENTRYPOINT picks the verb. One Dockerfile per
# component keeps image names, entrypoints and tuning independent (see docs/install.md "Images").

# --- build: the SDK image, then a self-contained, trimmed, ReadyToRun publish for linux-x64.
# ReadyToRun: precompiled code cuts start-up JIT work, which matters for leader fail-over and for
# the activator scaling out under load. Self-contained and trimmed: the runtime and ASP.NET Core travel
# with the app, cut to what it uses (~56 MB instead of ~109 MB of shared frameworks), so the base can
# be runtime-deps and the image stays under the 120 MB target (docs/perf/cluster.md has the figures).
# Trimming reports warnings (reflection-based JSON in a few builders); they are not errors for this
# publish, reflection-based System.Text.Json stays enabled, and the trimmed executable passes the
# in-cluster tests (INGRESS_TEST_EXECUTABLE, see docs/perf/cluster.md). Drop -p:PublishTrimmed=true
# (and use the aspnet base) to trade size for the untrimmed build.
FROM mcr.microsoft.com/dotnet/sdk:10.0 AS build
WORKDIR /src
# Restore first, from the project files only, so source edits do not invalidate the restore layer.
COPY global.json Directory.Build.props Directory.Packages.props ./
COPY src/Ingress.Api/Ingress.Api.csproj src/Ingress.Api/
COPY src/Ingress.ApiServer/Ingress.ApiServer.csproj src/Ingress.ApiServer/
COPY src/Ingress.Kube/Ingress.Kube.csproj src/Ingress.Kube/
COPY src/Ingress.Serving/Ingress.Serving.csproj src/Ingress.Serving/
COPY src/Ingress.Networking/Ingress.Networking.csproj src/Ingress.Networking/
COPY src/Ingress.Autoscaling/Ingress.Autoscaling.csproj src/Ingress.Autoscaling/
COPY src/Ingress.DataPlane/Ingress.DataPlane.csproj src/Ingress.DataPlane/
COPY src/Ingress.Local/Ingress.Local.csproj src/Ingress.Local/
COPY src/Ingress.Cli/Ingress.Cli.csproj src/Ingress.Cli/
# The restore must know the publish's runtime, ReadyToRun and trimming: they bring the runtime, crossgen
# and ILLink packs, which `publish --no-restore` cannot fetch.
RUN dotnet restore src/Ingress.Cli/Ingress.Cli.csproj -r linux-x64 -p:SelfContained=true -p:PublishReadyToRun=true -p:PublishTrimmed=true
COPY src/ src/
# Ingress.Local embeds the CRDs (render and up preload them from the executable).
COPY crds/ crds/
RUN dotnet publish src/Ingress.Cli/Ingress.Cli.csproj --no-restore -c Release -r linux-x64 \
      --self-contained true -p:PublishReadyToRun=true -p:PublishTrimmed=true \
      -p:JsonSerializerIsReflectionEnabledByDefault=true -p:TreatWarningsAsErrors=false -p:DebugType=none -o /app

# --- runtime: runtime-deps on Ubuntu chiseled (glibc, OpenSSL, CA certificates; no shell, no package
# manager, no .NET: the app brings its own).
FROM mcr.microsoft.com/dotnet/runtime-deps:10.0-noble-chiseled
WORKDIR /app
COPY --from=build /app ./
# The manifests run every container with readOnlyRootFilesystem and a writable /tmp emptyDir.
# DOTNET_EnableDiagnostics=0: no diagnostic IPC socket or perf map is written, so the image also
# starts on a read-only root without /tmp. Set it to 1 (with the /tmp mount) to attach
# dotnet-counters / dotnet-trace. TMPDIR points .NET's temp files at that mount.
ENV DOTNET_EnableDiagnostics=0 \
    TMPDIR=/tmp
# Server GC: the activator is the one component whose throughput scales with cores (it proxies
# every request of Revisions at zero); its Deployment gives it a CPU request for that.
ENV DOTNET_gcServer=1
# 65532: the conventional "nonroot" UID of distroless images; the manifests run as it too.
USER 65532:65532
ENTRYPOINT ["/app/ingress", "activator"]
