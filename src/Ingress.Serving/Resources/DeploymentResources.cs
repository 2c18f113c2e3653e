using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Ingress.Serving.Config;
using Ingress.Serving.Naming;
using Ingress.Serving.Webhook;

namespace Ingress.Serving.Resources;

/// <summary>Revision → Deployment, PodAutoscaler and ServerlessService (§9).</summary>
public static class DeploymentResources
{
    public const string QueueContainerName = "queue-proxy";
    public const int QueueHttpPort = 8012, QueueH2cPort = 8013, QueueHttpsPort = 8112, QueueAdminPort = 8022;
    public const int AutoscalerMetricsPort = 9090, UserMetricsPort = 9091, DefaultUserPort = 8080;
    public const string ProbeHeader = "K-Network-Probe";

    private static readonly JsonSerializerOptions Compact = new() { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    /// <summary>Annotations never copied to a Revision's children.</summary>
    private static readonly string[] RoutingAndGcAnnotations =
        [Keys.LastPinnedAnnotation, Keys.NoGcAnnotation, Keys.RoutingStateModifiedAnnotation, Keys.RoutesAnnotation];

    /// <summary>Labels of the Deployment/PA/pods: revision labels minus route/routingState, plus revision,
    /// revisionUID and app.</summary>
    public static Dictionary<string, string> MakeLabels(JsonObject rev)
    {
        var labels = Meta.Without(Meta.Labels(rev), Keys.RouteLabel, Keys.RoutingStateLabel);
        labels[Keys.RevisionLabel] = Meta.Name(rev);
        labels[Keys.RevisionUidLabel] = Meta.Uid(rev);
        if (!labels.ContainsKey("app")) labels["app"] = Meta.Name(rev);
        return labels;
    }

    private static Dictionary<string, string> DeploymentAnnotations(JsonObject rev)
    {
        var a = Meta.Without(Meta.Annotations(rev), RoutingAndGcAnnotations);
        foreach (var k in a.Keys.Where(k => k.StartsWith("autoscaling.knative.dev/", StringComparison.Ordinal)).ToList()) a.Remove(k);
        return a;
    }

    /// <summary>The user port: the serving container's first containerPort, else 8080.</summary>
    public static long UserPort(JsonObject rev)
    {
        var serving = ServingContainer(rev);
        return Json.Long(Json.Arr(serving, "ports")?.FirstOrDefault(), "containerPort") is { } p && p != 0 ? p : DefaultUserPort;
    }

    /// <summary>The container that receives traffic: the one with ports, or the only one.</summary>
    public static JsonObject? ServingContainer(JsonObject rev)
    {
        var containers = Json.Arr(Json.Obj(rev, "spec"), "containers")?.OfType<JsonObject>().ToList() ?? [];
        return containers.FirstOrDefault(c => Json.Arr(c, "ports") is { Count: > 0 }) ?? (containers.Count == 1 ? containers[0] : containers.FirstOrDefault());
    }

    /// <summary>The Deployment <c>&lt;rev&gt;-deployment</c>. <paramref name="initialScale"/> comes from the
    /// autoscaling annotation or config-autoscaler (default 1).</summary>
    public static JsonObject MakeDeployment(ServingConfig config, JsonObject rev, int initialScale = 1, string systemNamespace = "knative-serving")
    {
        var deploymentConfig = config.Deployment ?? throw new InvalidOperationException("config-deployment has not been loaded (queue-sidecar-image is required)");
        var labels = MakeLabels(rev);
        var annotations = DeploymentAnnotations(rev);
        var spec = Json.Obj(rev, "spec") ?? new JsonObject();
        var serving = ServingContainer(rev);
        var servingName = Json.Str(serving, "name");

        var podAnnotations = new Dictionary<string, string>(annotations) { ["kubectl.kubernetes.io/default-container"] = servingName };

        var progressDeadline = deploymentConfig.ProgressDeadline.WholeSeconds;
        if (Meta.Annotations(rev).TryGetValue(Keys.ProgressDeadlineAnnotation, out var pd) && Go.GoFormat.TryParseDuration(pd, out var pdv, out _))
            progressDeadline = pdv.WholeSeconds;

        var pod = MakePodSpec(config, deploymentConfig, rev, systemNamespace);
        var deployment = new JsonObject
        {
            ["apiVersion"] = "apps/v1",
            ["kind"] = "Deployment",
            ["metadata"] = Meta.NewMetadata(Kmeta.DeploymentName(Meta.Name(rev)), Meta.Namespace(rev), labels, annotations,
                Meta.ControllerRef(rev, Keys.ServingV1, "Revision")),
            ["spec"] = new JsonObject
            {
                ["replicas"] = initialScale,
                ["selector"] = new JsonObject { ["matchLabels"] = new JsonObject { [Keys.RevisionUidLabel] = Meta.Uid(rev) } },
                ["progressDeadlineSeconds"] = progressDeadline,
                ["revisionHistoryLimit"] = 0,
                ["strategy"] = new JsonObject { ["type"] = "RollingUpdate", ["rollingUpdate"] = new JsonObject { ["maxUnavailable"] = 0 } },
                ["template"] = new JsonObject
                {
                    ["metadata"] = new JsonObject { ["labels"] = Meta.StringMap(labels), ["annotations"] = Meta.StringMap(podAnnotations) },
                    ["spec"] = pod,
                },
            },
        };
        // The hash covers the desired object so any change to it rolls the pods.
        var hash = Fnv1a32(deployment.ToJsonString(Compact)).ToString(CultureInfo.InvariantCulture);
        ((JsonObject)deployment["metadata"]!["labels"]!)[Keys.DeploymentHashLabel] = hash;
        return deployment;
    }

    private static uint Fnv1a32(string s)
    {
        var h = 2166136261u;
        foreach (var b in Encoding.UTF8.GetBytes(s)) { h ^= b; h *= 16777619u; }
        return h;
    }

    private static JsonObject MakePodSpec(ServingConfig config, ConfigDeployment deploymentConfig, JsonObject rev, string systemNamespace)
    {
        var spec = (JsonObject)(Json.Obj(rev, "spec")?.DeepClone() ?? new JsonObject());
        var timeout = Json.Long(spec, "timeoutSeconds") ?? config.Defaults.RevisionTimeoutSeconds;
        // Knative-only fields are not part of a PodSpec.
        foreach (var k in new[] { "timeoutSeconds", "containerConcurrency", "responseStartTimeoutSeconds", "idleTimeoutSeconds" }) spec.Remove(k);

        var serving = ServingContainer(rev);
        var servingName = Json.Str(serving, "name");
        var userPort = UserPort(rev);
        var configName = ControllerName(rev, "Configuration");
        var serviceName = Meta.Labels(rev).GetValueOrDefault(Keys.ServiceLabel, "");
        var digests = ImageDigests(rev);

        var containers = new JsonArray();
        JsonObject? userProbe = null;
        foreach (var c in Json.Arr(spec, "containers")?.OfType<JsonObject>().ToList() ?? [])
        {
            var container = (JsonObject)c.DeepClone();
            var isServing = Json.Str(container, "name") == servingName;
            var env = Json.Arr(container, "env")?.DeepClone() as JsonArray ?? new JsonArray();
            if (isServing)
            {
                container["ports"] = new JsonArray(new JsonObject { ["name"] = "user-port", ["containerPort"] = userPort });
                env.Add(new JsonObject { ["name"] = "PORT", ["value"] = userPort.ToString(CultureInfo.InvariantCulture) });
                userProbe = Json.Obj(container, "readinessProbe")?.DeepClone() as JsonObject;
            }
            env.Add(new JsonObject { ["name"] = "K_REVISION", ["value"] = Meta.Name(rev) });
            env.Add(new JsonObject { ["name"] = "K_CONFIGURATION", ["value"] = Meta.Labels(rev).GetValueOrDefault(Keys.ConfigurationLabel, "") });
            env.Add(new JsonObject { ["name"] = "K_SERVICE", ["value"] = serviceName });
            container["env"] = env;
            container["lifecycle"] = new JsonObject
            {
                ["preStop"] = new JsonObject { ["httpGet"] = new JsonObject { ["path"] = "/wait-for-drain", ["port"] = QueueAdminPort } },
            };
            if (Json.Str(container, "terminationMessagePolicy").Length == 0) container["terminationMessagePolicy"] = "FallbackToLogsOnError";
            if (Json.Obj(container, "readinessProbe") is { } rp && (rp.ContainsKey("httpGet") || rp.ContainsKey("tcpSocket") || rp.ContainsKey("grpc")))
                container.Remove("readinessProbe");
            if (digests.TryGetValue(Json.Str(container, "name"), out var digest)) container["image"] = digest;
            containers.Add(container);
        }
        containers.Add(MakeQueueContainer(config, deploymentConfig, rev, userProbe, userPort, timeout, configName, serviceName, systemNamespace));
        spec["containers"] = containers;
        // Init containers run their resolved digests too (status.initContainerStatuses).
        var initDigests = ImageDigests(rev, "initContainerStatuses");
        foreach (var init in Json.Arr(spec, "initContainers")?.OfType<JsonObject>() ?? [])
            if (initDigests.TryGetValue(Json.Str(init, "name"), out var initDigest)) init["image"] = initDigest;
        spec["terminationGracePeriodSeconds"] = timeout;
        if (!spec.ContainsKey("enableServiceLinks") && config.Defaults.EnableServiceLinks is { } esl) spec["enableServiceLinks"] = esl;
        return spec;
    }

    private static Dictionary<string, string> ImageDigests(JsonObject rev, string statusKey = "containerStatuses")
    {
        var result = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var s in Json.Arr(Json.Obj(rev, "status"), statusKey)?.OfType<JsonObject>() ?? [])
            if (Json.Str(s, "imageDigest") is { Length: > 0 } d) result[Json.Str(s, "name")] = d;
        return result;
    }

    private static string ControllerName(JsonObject obj, string kind) =>
        (Json.Arr(Meta.Metadata(obj), "ownerReferences")?.OfType<JsonObject>() ?? [])
        .FirstOrDefault(r => Json.Bool(r, "controller") == true && Json.Str(r, "kind") == kind) is { } o ? Json.Str(o, "name") : "";

    private static JsonObject MakeQueueContainer(ServingConfig config, ConfigDeployment dc, JsonObject rev, JsonObject? userProbe,
        long userPort, long timeout, string configName, string serviceName, string systemNamespace)
    {
        var h2c = TrafficBuilder.Protocol(rev) == "h2c";
        var servingPort = h2c ? QueueH2cPort : QueueHttpPort;
        var spec = Json.Obj(rev, "spec");
        var cc = Json.Long(spec, "containerConcurrency") ?? 0;

        JsonObject? queueProbe = null;
        var probeJson = "";
        if (userProbe is not null)
        {
            var probePort = userPort;
            if (Json.Long(Json.Obj(userProbe, "httpGet"), "port") is { } hp && hp != 0) probePort = hp;
            if (Json.Long(Json.Obj(userProbe, "tcpSocket"), "port") is { } tp && tp != 0) probePort = tp;
            if (Json.Long(Json.Obj(userProbe, "grpc"), "port") is { } gp && gp > 0) probePort = gp;
            probeJson = EncodeProbe(ApplyReadinessProbeDefaults((JsonObject)userProbe.DeepClone(), probePort));

            queueProbe = (JsonObject)userProbe.DeepClone();
            foreach (var k in new[] { "exec", "httpGet", "tcpSocket", "grpc" }) queueProbe.Remove(k);
            queueProbe["httpGet"] = new JsonObject
            {
                ["port"] = servingPort,
                ["httpHeaders"] = new JsonArray(new JsonObject { ["name"] = ProbeHeader, ["value"] = "queue" }),
            };
        }

        var annotations = Meta.Annotations(rev);
        var fullDuplex = annotations.TryGetValue("features.knative.dev/http-full-duplex", out var fd) && fd.Equals("Enabled", StringComparison.OrdinalIgnoreCase);
        static JsonObject Env(string name, string value) => new() { ["name"] = name, ["value"] = value };
        static JsonObject FieldEnv(string name, string path, string? apiVersion = null)
        {
            var fieldRef = new JsonObject();
            if (apiVersion is not null) fieldRef["apiVersion"] = apiVersion;
            fieldRef["fieldPath"] = path;
            return new JsonObject { ["name"] = name, ["valueFrom"] = new JsonObject { ["fieldRef"] = fieldRef } };
        }
        string S(long v) => v.ToString(CultureInfo.InvariantCulture);

        var container = new JsonObject
        {
            ["name"] = QueueContainerName,
            ["image"] = dc.QueueSidecarImage,
            ["resources"] = QueueResources(dc, annotations),
            ["ports"] = new JsonArray(
                new JsonObject { ["name"] = "http-autometric", ["containerPort"] = AutoscalerMetricsPort },
                new JsonObject { ["name"] = "http-usermetric", ["containerPort"] = UserMetricsPort },
                new JsonObject { ["name"] = h2c ? "queue-port" : "queue-port", ["containerPort"] = servingPort },
                new JsonObject { ["name"] = "https-port", ["containerPort"] = QueueHttpsPort }),
            ["securityContext"] = new JsonObject
            {
                ["allowPrivilegeEscalation"] = false,
                ["readOnlyRootFilesystem"] = true,
                ["runAsNonRoot"] = true,
                ["capabilities"] = new JsonObject { ["drop"] = new JsonArray("ALL") },
                ["seccompProfile"] = new JsonObject { ["type"] = "RuntimeDefault" },
            },
            ["env"] = new JsonArray(
                Env("SERVING_NAMESPACE", Meta.Namespace(rev)),
                Env("SERVING_SERVICE", serviceName),
                Env("SERVING_CONFIGURATION", configName),
                Env("SERVING_REVISION", Meta.Name(rev)),
                Env("QUEUE_SERVING_PORT", S(servingPort)),
                Env("QUEUE_SERVING_TLS_PORT", S(QueueHttpsPort)),
                Env("CONTAINER_CONCURRENCY", S(cc)),
                Env("REVISION_TIMEOUT_SECONDS", S(timeout)),
                Env("REVISION_RESPONSE_START_TIMEOUT_SECONDS", S(Json.Long(spec, "responseStartTimeoutSeconds") ?? 0)),
                Env("REVISION_IDLE_TIMEOUT_SECONDS", S(Json.Long(spec, "idleTimeoutSeconds") ?? 0)),
                FieldEnv("SERVING_POD", "metadata.name"),
                FieldEnv("SERVING_POD_IP", "status.podIP"),
                Env("SERVING_LOGGING_CONFIG", ""),
                Env("SERVING_LOGGING_LEVEL", ""),
                Env("USER_PORT", S(userPort)),
                Env("SYSTEM_NAMESPACE", systemNamespace),
                Env("SERVING_READINESS_PROBE", probeJson),
                FieldEnv("HOST_IP", "status.hostIP", "v1"),
                Env("ENABLE_HTTP2_AUTO_DETECTION", config.Features.AutoDetectHttp2 == FeatureFlag.Enabled ? "true" : "false"),
                Env("ENABLE_HTTP_FULL_DUPLEX", fullDuplex ? "true" : "false"),
                Env("ROOT_CA", dc.QueueSidecarRootCa),
                Env("QUEUE_PROXY_TLS_MIN_VERSION", dc.QueueSidecarTlsMinVersion),
                Env("QUEUE_PROXY_TLS_MAX_VERSION", dc.QueueSidecarTlsMaxVersion),
                Env("QUEUE_PROXY_TLS_CIPHER_SUITES", dc.QueueSidecarTlsCipherSuites),
                Env("QUEUE_PROXY_TLS_CURVE_PREFERENCES", dc.QueueSidecarTlsCurvePreferences),
                Env("ENABLE_MULTI_CONTAINER_PROBES", config.Features.MultiContainerProbing == FeatureFlag.Enabled ? "true" : "false"),
                Env("OBSERVABILITY_CONFIG", config.Observability.QueueProxyEnv)),
        };
        if (queueProbe is not null) container["readinessProbe"] = queueProbe;
        return container;
    }

    private static JsonObject QueueResources(ConfigDeployment dc, IReadOnlyDictionary<string, string> annotations)
    {
        var requests = new JsonObject();
        var limits = new JsonObject();
        void Put(JsonObject target, string name, string? configValue, string annotation)
        {
            var value = annotations.TryGetValue("queue.sidecar.serving.knative.dev/" + annotation, out var a) ? a : configValue;
            if (value is not null) target[name] = value;
        }
        Put(requests, "cpu", dc.QueueSidecarCpuRequest, "cpu-resource-request");
        Put(requests, "memory", dc.QueueSidecarMemoryRequest, "memory-resource-request");
        Put(requests, "ephemeral-storage", dc.QueueSidecarEphemeralStorageRequest, "ephemeral-storage-resource-request");
        Put(limits, "cpu", dc.QueueSidecarCpuLimit, "cpu-resource-limit");
        Put(limits, "memory", dc.QueueSidecarMemoryLimit, "memory-resource-limit");
        Put(limits, "ephemeral-storage", dc.QueueSidecarEphemeralStorageLimit, "ephemeral-storage-resource-limit");
        var r = new JsonObject();
        if (requests.Count > 0) r["requests"] = requests;
        if (limits.Count > 0) r["limits"] = limits;
        return r;
    }

    /// <summary>Points the user's probe at the user port on 127.0.0.1 (exec probes become TCP probes).</summary>
    private static JsonObject ApplyReadinessProbeDefaults(JsonObject p, long port)
    {
        if (Json.Obj(p, "httpGet") is { } http)
        {
            http["host"] = "127.0.0.1";
            http["port"] = port;
            if (Json.Str(http, "scheme").Length == 0) http["scheme"] = "HTTP";
        }
        else if (Json.Obj(p, "tcpSocket") is { } tcp)
        {
            tcp["port"] = port;
            tcp["host"] = "127.0.0.1";
        }
        else if (p.ContainsKey("exec"))
        {
            p.Remove("exec");
            p["tcpSocket"] = new JsonObject { ["port"] = port, ["host"] = "127.0.0.1" };
        }
        else if (Json.Obj(p, "grpc") is { } grpc) grpc["port"] = port;
        if ((Json.Long(p, "periodSeconds") ?? 0) > 0 && (Json.Long(p, "timeoutSeconds") ?? 0) < 1) p["timeoutSeconds"] = 1;
        return p;
    }

    /// <summary>JSON of a probe in Go's field order (handler, then timings), zero values omitted.</summary>
    private static string EncodeProbe(JsonObject p)
    {
        var o = new JsonObject();
        foreach (var k in new[] { "exec", "httpGet", "tcpSocket", "grpc" })
            if (p[k] is JsonObject h) o[k] = OrderHandler(k, h);
        foreach (var k in new[] { "initialDelaySeconds", "timeoutSeconds", "periodSeconds", "successThreshold", "failureThreshold", "terminationGracePeriodSeconds" })
            if ((Json.Long(p, k) ?? 0) != 0) o[k] = Json.Long(p, k);
        return o.ToJsonString(Compact);
    }

    private static JsonObject OrderHandler(string kind, JsonObject h)
    {
        string[] order = kind switch
        {
            "httpGet" => ["path", "port", "host", "scheme", "httpHeaders"],
            "tcpSocket" => ["port", "host"],
            "grpc" => ["port", "service"],
            _ => h.Select(kv => kv.Key).ToArray(),
        };
        var o = new JsonObject();
        foreach (var k in order) if (h[k] is { } v) o[k] = v.DeepClone();
        return o;
    }

    /// <summary>The PodAutoscaler <c>&lt;rev&gt;</c> (§9.2). Class and metric default from config-autoscaler.</summary>
    public static JsonObject MakePodAutoscaler(JsonObject rev, string defaultClass = "kpa.autoscaling.knative.dev")
    {
        var annotations = Meta.Without(Meta.Annotations(rev), RoutingAndGcAnnotations);
        if (!annotations.TryGetValue("autoscaling.knative.dev/class", out var cls) || cls.Length == 0)
            annotations["autoscaling.knative.dev/class"] = cls = defaultClass;
        if (!annotations.ContainsKey("autoscaling.knative.dev/metric"))
            annotations["autoscaling.knative.dev/metric"] = cls == "hpa.autoscaling.knative.dev" ? "cpu" : "concurrency";
        var spec = new JsonObject
        {
            ["containerConcurrency"] = Json.Long(Json.Obj(rev, "spec"), "containerConcurrency") ?? 0,
            ["scaleTargetRef"] = new JsonObject { ["apiVersion"] = "apps/v1", ["kind"] = "Deployment", ["name"] = Kmeta.DeploymentName(Meta.Name(rev)) },
            ["protocolType"] = TrafficBuilder.Protocol(rev),
        };
        var reachability = Meta.Labels(rev).GetValueOrDefault(Keys.RoutingStateLabel, "") switch
        {
            "active" => "Reachable",
            "reserve" => "Unreachable",
            _ => "",
        };
        if (reachability.Length > 0) spec["reachability"] = reachability;
        return new JsonObject
        {
            ["apiVersion"] = Keys.AutoscalingV1Alpha1,
            ["kind"] = "PodAutoscaler",
            ["metadata"] = Meta.NewMetadata(Kmeta.PodAutoscalerName(Meta.Name(rev)), Meta.Namespace(rev), MakeLabels(rev), annotations,
                Meta.ControllerRef(rev, Keys.ServingV1, "Revision")),
            ["spec"] = spec,
        };
    }

    /// <summary>The ServerlessService the KPA creates for a PodAutoscaler: Proxy mode first (§9.3).</summary>
    public static JsonObject MakeServerlessService(JsonObject podAutoscaler, string mode = "Proxy", int numActivators = 2)
    {
        var pa = Json.Obj(podAutoscaler, "spec");
        return new JsonObject
        {
            ["apiVersion"] = Keys.NetworkingV1Alpha1,
            ["kind"] = "ServerlessService",
            ["metadata"] = Meta.NewMetadata(Kmeta.ServerlessServiceName(Meta.Name(podAutoscaler)), Meta.Namespace(podAutoscaler),
                Meta.Labels(podAutoscaler), Meta.Annotations(podAutoscaler),
                Meta.ControllerRef(podAutoscaler, Keys.AutoscalingV1Alpha1, "PodAutoscaler")),
            ["spec"] = new JsonObject
            {
                ["mode"] = mode,
                ["numActivators"] = Math.Max(2, numActivators),
                ["objectRef"] = Json.Obj(pa, "scaleTargetRef")?.DeepClone(),
                ["protocolType"] = Json.Str(pa, "protocolType"),
            },
        };
    }
}
