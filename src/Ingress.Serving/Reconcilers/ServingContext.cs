using System.Diagnostics.Metrics;
using System.Text.Json.Nodes;
using Ingress.Kube.Cache;
using Ingress.Kube.Client;
using Ingress.Kube.Controller;
using Ingress.Kube.Typed;
using Ingress.Serving.Config;
using Ingress.Serving.Resources;
using Ingress.Serving.Webhook;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Ingress.Serving.Reconcilers;

/// <summary>The resources the serving reconcilers read and write, as descriptors for the dynamic (JSON) client:
/// the builders work on the object as the API server stores it.</summary>
public static class ServingKinds
{
    public static readonly ResourceDescriptor Services = TypedKinds.Descriptor<Api.Serving.V1.Service>();
    public static readonly ResourceDescriptor Configurations = TypedKinds.Descriptor<Api.Serving.V1.Configuration>();
    public static readonly ResourceDescriptor Revisions = TypedKinds.Descriptor<Api.Serving.V1.Revision>();
    public static readonly ResourceDescriptor Routes = TypedKinds.Descriptor<Api.Serving.V1.Route>();
    public static readonly ResourceDescriptor DomainMappings = TypedKinds.Descriptor<Api.Serving.V1Beta1.DomainMapping>();
    public static readonly ResourceDescriptor Ingresses = TypedKinds.Descriptor<Api.Networking.V1Alpha1.Ingress>();
    public static readonly ResourceDescriptor ServerlessServices = TypedKinds.Descriptor<Api.Networking.V1Alpha1.ServerlessService>();
    public static readonly ResourceDescriptor ClusterDomainClaims = TypedKinds.Descriptor<Api.Networking.V1Alpha1.ClusterDomainClaim>();
    public static readonly ResourceDescriptor PodAutoscalers = TypedKinds.Descriptor<Api.Autoscaling.V1Alpha1.PodAutoscaler>();
    public static readonly ResourceDescriptor Deployments = TypedKinds.Descriptor<Api.Apps.V1.Deployment>();
    public static readonly ResourceDescriptor CoreServices = TypedKinds.Descriptor<Api.Core.V1.Service>();
    public static readonly ResourceDescriptor Certificates = TypedKinds.Descriptor<Api.Networking.V1Alpha1.Certificate>();
    public static readonly ResourceDescriptor Endpoints = new("", "v1", "endpoints", true, "Endpoints");
}

/// <summary>What every serving reconciler reads (listers, config, clock) and writes with (client, events).</summary>
public sealed class ServingContext
{
    public required KubeClient Client { get; init; }
    public required Func<ServingConfig> Config { get; init; }
    public TimeProvider Time { get; init; } = TimeProvider.System;
    public EventRecorder? Events { get; init; }
    public string SystemNamespace { get; init; } = "knative-serving";
    /// <summary>See <see cref="ServingControllerOptions.CreateServerlessServices"/>.</summary>
    public bool CreateServerlessServices { get; init; } = true;
    public ILoggerFactory LoggerFactory { get; init; } = NullLoggerFactory.Instance;
    /// <summary>Tag → digest resolution for Revisions; default none (see <see cref="Images.ImageDigestResolvers.None"/>).</summary>
    public Images.IImageDigestResolver ImageDigests { get; init; } = Images.ImageDigestResolvers.None;

    public required Lister<JsonObject> Services { get; init; }
    public required Lister<JsonObject> Configurations { get; init; }
    public required Lister<JsonObject> Revisions { get; init; }
    public required Lister<JsonObject> Routes { get; init; }
    public required Lister<JsonObject> DomainMappings { get; init; }
    public required Lister<JsonObject> Ingresses { get; init; }
    public required Lister<JsonObject> ServerlessServices { get; init; }
    public required Lister<JsonObject> ClusterDomainClaims { get; init; }
    public required Lister<JsonObject> PodAutoscalers { get; init; }
    public required Lister<JsonObject> Deployments { get; init; }
    public required Lister<JsonObject> CoreServices { get; init; }
    /// <summary>Knative Certificates (Route and DomainMapping TLS, namespace wildcard certificates).</summary>
    public required Lister<JsonObject> Certificates { get; init; }
    /// <summary>Endpoints labelled <c>serving.knative.dev/route</c> only: the placeholder Endpoints of a load balancer IP.</summary>
    public required Lister<JsonObject> PlaceholderEndpoints { get; init; }

    public ResourceClient<JsonObject> For(ResourceDescriptor resource) => Client.Dynamic(resource);
}

/// <summary>Creates and updates children: a child is rewritten only when a field we set differs (fields the
/// API server defaults are left alone, so a defaulted child does not loop through updates).</summary>
internal static partial class Children
{
    private static readonly Meter Meter = new("Ingress.Serving.Reconcilers");
    private static readonly Counter<long> Writes = Meter.CreateCounter<long>("serving_child_writes_total", description: "Children created or updated by the serving reconcilers");

    /// <summary>True when every field of <paramref name="desired"/> has the same value in <paramref name="actual"/>
    /// (objects compared member by member, arrays and scalars exactly).</summary>
    public static bool Covers(JsonNode? actual, JsonNode? desired)
    {
        if (desired is JsonObject d)
        {
            if (actual is not JsonObject a) return d.Count == 0 && actual is null;
            foreach (var (k, v) in d)
                if (!Covers(a[k], v)) return false;
            return true;
        }
        return JsonNode.DeepEquals(actual, desired);
    }

    public static bool SpecAndMetaCover(JsonObject existing, JsonObject desired) =>
        Covers(existing["spec"], desired["spec"])
        && Covers(Json(existing)["labels"], Json(desired)["labels"])
        && Covers(Json(existing)["annotations"], Json(desired)["annotations"]);

    private static JsonObject Json(JsonObject o) => o["metadata"] as JsonObject ?? new JsonObject();

    /// <summary>Creates <paramref name="desired"/> when absent, else updates spec, labels and annotations of a copy of
    /// <paramref name="existing"/> when they differ. A conflict is thrown: the work queue retries with fresh listers.</summary>
    public static async Task<JsonObject> EnsureAsync(ServingContext ctx, ResourceDescriptor resource, JsonObject? existing,
        JsonObject desired, ILogger log, CancellationToken ct)
    {
        var client = ctx.For(resource);
        if (existing is null)
        {
            var created = await client.CreateAsync(desired, ct: ct).ConfigureAwait(false);
            Writes.Add(1, new("kind", resource.Kind), new("action", "create"));
            LogWrite(log, "Created", resource.Kind, Meta.Namespace(created), Meta.Name(created));
            return created;
        }
        if (SpecAndMetaCover(existing, desired)) return existing;
        var copy = (JsonObject)existing.DeepClone();
        if (desired["spec"] is { } spec) copy["spec"] = spec.DeepClone();
        var meta = (JsonObject)copy["metadata"]!;
        var dmeta = Json(desired);
        meta["labels"] = dmeta["labels"]?.DeepClone();
        meta["annotations"] = dmeta["annotations"]?.DeepClone();
        var updated = await client.UpdateAsync(copy, ct: ct).ConfigureAwait(false);
        Writes.Add(1, new("kind", resource.Kind), new("action", "update"));
        LogWrite(log, "Updated", resource.Kind, Meta.Namespace(updated), Meta.Name(updated));
        return updated;
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "{action} {kind} {namespace}/{name}")]
    private static partial void LogWrite(ILogger logger, string action, string kind, string @namespace, string name);
}
