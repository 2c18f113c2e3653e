using System.CommandLine;
using System.Net;
using Ingress.ApiServer.Admission;
using Ingress.Autoscaling.Configuration;
using Ingress.Local.Webhook;
using Ingress.Serving;
using Ingress.Serving.Config;
using Ingress.Serving.Webhook;
using Serilog;
using Serilog.Extensions.Logging;

namespace Ingress.Cli.Commands;

/// <summary><c>ingress webhook</c>: the admission webhook as manifests/600-components/640-webhook.yaml runs it.
/// Defaults come from the pod's environment (WEBHOOK_PORT, WEBHOOK_NAME, WEBHOOK_SECRET_NAME, SYSTEM_NAMESPACE)
/// and the service account; every one can be overridden by a flag for running outside a pod.</summary>
public static class WebhookCommand
{
    /// <summary>The hooks the webhook serves: the same ones the embedded API server registers in process
    /// (Knative's defaulting and validation of serving.knative.dev kinds and of the system config maps).
    /// They judge with the default config; following config-defaults/config-autoscaler edits live needs a
    /// ConfigMap informer in the webhook, which it does not have yet.</summary>
    public static IReadOnlyList<IAdmissionHook> Hooks { get; set; } =
    [
        ServingAdmissionHooks.Create(new ServingAdmission(() => ServingConfig.Default,
            annotations => Ingress.Local.AutoscalingAnnotationErrors.ToServing(AutoscalingAnnotations.Validate(annotations, AutoscalerConfig.Default)))),
    ];

    private static string Env(string name, string fallback) => Environment.GetEnvironmentVariable(name) is { Length: > 0 } v ? v : fallback;

    public static Command Create()
    {
        var httpsPort = new Option<int>("--https-port") { Description = "HTTPS port for AdmissionReviews.", DefaultValueFactory = _ => int.Parse(Env("WEBHOOK_PORT", "8443")) };
        var probePort = new Option<int>("--probe-port") { Description = "HTTP port for /healthz and /readyz.", DefaultValueFactory = _ => 8080 };
        var ns = new Option<string>("--namespace") { Description = "Namespace of the Service and Secret.", DefaultValueFactory = _ => Env("SYSTEM_NAMESPACE", "knative-serving") };
        var service = new Option<string>("--service") { Description = "Service name the certificate is issued for.", DefaultValueFactory = _ => Env("WEBHOOK_NAME", "webhook") };
        var secret = new Option<string>("--secret") { Description = "Secret that keeps the certificate.", DefaultValueFactory = _ => Env("WEBHOOK_SECRET_NAME", "webhook-certs") };
        var server = new Option<string?>("--server") { Description = "API server URL (default: in-cluster KUBERNETES_SERVICE_HOST/PORT)." };
        var tokenFile = new Option<string>("--token-file") { Description = "Bearer token file, re-read on every request.", DefaultValueFactory = _ => InClusterApi.ServiceAccountDirectory + "/token" };
        var caFile = new Option<string?>("--ca-file") { Description = "CA bundle that signs the API server's certificate.", DefaultValueFactory = _ => InClusterApi.ServiceAccountDirectory + "/ca.crt" };
        var command = new Command("webhook", "Run the admission webhook (HTTPS, self-managed certificate).");
        foreach (var o in new Option[] { httpsPort, probePort, ns, service, secret, server, tokenFile, caFile }) command.Options.Add(o);
        command.SetAction(async (parse, ct) =>
        {
            var serilog = new LoggerConfiguration().MinimumLevel.Override("Microsoft", Serilog.Events.LogEventLevel.Warning).WriteTo.Console().CreateLogger();
            using var factory = new SerilogLoggerFactory(serilog, dispose: true);
            var url = parse.GetValue(server) is { } s ? new Uri(s) : InClusterApi.DefaultServer();
            using var api = InClusterApi.Create(url, parse.GetValue(tokenFile)!, parse.GetValue(caFile));
            var host = new WebhookHost(Hooks,
                new AdmissionWebhookOptions { HttpsPort = parse.GetValue(httpsPort), ProbePort = parse.GetValue(probePort), BindAddress = IPAddress.Any },
                new WebhookCertificateOptions { Namespace = parse.GetValue(ns)!, ServiceName = parse.GetValue(service)!, SecretName = parse.GetValue(secret)! },
                api, factory);
            await host.RunAsync(ct);
            return 0;
        });
        return command;
    }
}
