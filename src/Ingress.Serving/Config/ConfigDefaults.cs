using Ingress.Serving.Go;

namespace Ingress.Serving.Config;

/// <summary>Typed <c>config-defaults</c> (serving pkg/apis/config/defaults.go): the values the webhook fills
/// into Revision templates.</summary>
public sealed record ConfigDefaults
{
    public const string Name = "config-defaults";

    /// <summary>300 s: long enough for slow requests, short enough to free stuck connections (upstream).</summary>
    public long RevisionTimeoutSeconds { get; init; } = 300;
    /// <summary>600 s: the ingress (Istio) default route timeout ceiling upstream aligns with.</summary>
    public long MaxRevisionTimeoutSeconds { get; init; } = 600;
    /// <summary>Defaults to revision-timeout-seconds, so it is normally not applied (see §3.4).</summary>
    public long RevisionResponseStartTimeoutSeconds { get; init; } = 300;
    /// <summary>0 = no idle timeout.</summary>
    public long RevisionIdleTimeoutSeconds { get; init; }
    public string UserContainerNameTemplate { get; init; } = "user-container";
    public string InitContainerNameTemplate { get; init; } = "init-container";
    /// <summary>0 = unbounded concurrency per container (upstream default).</summary>
    public long ContainerConcurrency { get; init; }
    public long ContainerConcurrencyMaxLimit { get; init; } = 1000;
    public bool AllowContainerConcurrencyZero { get; init; } = true;
    /// <summary>false by default: service-link env vars slow pod start in big namespaces (knative/serving#8498).
    /// null = leave the pod spec's value alone ("default" in the ConfigMap).</summary>
    public bool? EnableServiceLinks { get; init; } = false;
    public string? RevisionCpuRequest { get; init; }
    public string? RevisionCpuLimit { get; init; }
    public string? RevisionMemoryRequest { get; init; }
    public string? RevisionMemoryLimit { get; init; }
    public string? RevisionEphemeralStorageRequest { get; init; }
    public string? RevisionEphemeralStorageLimit { get; init; }

    public static ConfigDefaults Default { get; } = new();

    public static ConfigDefaults Parse(IReadOnlyDictionary<string, string> data)
    {
        var d = new ConfigDefaults();
        var initTemplate = data.TryGetValue("init-container-name-template", out var it) ? it : d.InitContainerNameTemplate;
        var userTemplate = data.TryGetValue("container-name-template", out var ut) ? ut : d.UserContainerNameTemplate;
        var parsedInit = ParseTemplate(initTemplate);
        var parsedUser = ParseTemplate(userTemplate);
        var allowZero = ConfigMapReader.Bool(data, "allow-container-concurrency-zero", d.AllowContainerConcurrencyZero);
        var serviceLinks = d.EnableServiceLinks;
        if (data.TryGetValue("enable-service-links", out var esl))
            serviceLinks = esl.Equals("true", StringComparison.OrdinalIgnoreCase) ? true
                : esl.Equals("false", StringComparison.OrdinalIgnoreCase) ? false : null;
        var timeout = ConfigMapReader.Int(data, "revision-timeout-seconds", d.RevisionTimeoutSeconds, "ParseInt");
        var maxTimeout = ConfigMapReader.Int(data, "max-revision-timeout-seconds", d.MaxRevisionTimeoutSeconds, "ParseInt");
        var idle = ConfigMapReader.Int(data, "revision-idle-timeout-seconds", d.RevisionIdleTimeoutSeconds, "ParseInt");
        var cc = ConfigMapReader.Int(data, "container-concurrency", d.ContainerConcurrency, "ParseInt");
        var ccMax = ConfigMapReader.Int(data, "container-concurrency-max-limit", d.ContainerConcurrencyMaxLimit, "ParseInt");
        var cpuReq = ConfigMapReader.Quantity(data, "revision-cpu-request", null);
        var memReq = ConfigMapReader.Quantity(data, "revision-memory-request", null);
        var ephReq = ConfigMapReader.Quantity(data, "revision-ephemeral-storage-request", null);
        var cpuLim = ConfigMapReader.Quantity(data, "revision-cpu-limit", null);
        var memLim = ConfigMapReader.Quantity(data, "revision-memory-limit", null);
        var ephLim = ConfigMapReader.Quantity(data, "revision-ephemeral-storage-limit", null);
        // The response-start default follows the (possibly configured) revision timeout.
        var responseStart = ConfigMapReader.Int(data, "revision-response-start-timeout-seconds", timeout, "ParseInt");

        if (timeout > maxTimeout)
            throw new ConfigMapParseException($"revision-timeout-seconds ({timeout}) cannot be greater than max-revision-timeout-seconds ({maxTimeout})");
        if (responseStart > 0 && responseStart > timeout)
            throw new ConfigMapParseException($"revision-response-start-timeout-seconds ({responseStart}) cannot be greater than revision-timeout-seconds ({timeout})");
        if (idle > 0 && idle > timeout)
            throw new ConfigMapParseException($"revision-idle-timeout-seconds ({idle}) cannot be greater than revision-timeout-seconds ({timeout})");
        if (ccMax < 1)
            throw new ConfigMapParseException(Validation.FieldError.OutOfBoundsValue(ccMax, 1, int.MaxValue, "container-concurrency-max-limit").ToString());
        if (cc < 0 || cc > ccMax)
            throw new ConfigMapParseException(Validation.FieldError.OutOfBoundsValue(cc, 0, ccMax, "container-concurrency").ToString());
        ExecuteOnEmptyMeta(parsedUser);
        ExecuteOnEmptyMeta(parsedInit);

        return new ConfigDefaults
        {
            RevisionTimeoutSeconds = timeout,
            MaxRevisionTimeoutSeconds = maxTimeout,
            RevisionResponseStartTimeoutSeconds = responseStart,
            RevisionIdleTimeoutSeconds = idle,
            UserContainerNameTemplate = userTemplate,
            InitContainerNameTemplate = initTemplate,
            ContainerConcurrency = cc,
            ContainerConcurrencyMaxLimit = ccMax,
            AllowContainerConcurrencyZero = allowZero,
            EnableServiceLinks = serviceLinks,
            RevisionCpuRequest = cpuReq, RevisionCpuLimit = cpuLim,
            RevisionMemoryRequest = memReq, RevisionMemoryLimit = memLim,
            RevisionEphemeralStorageRequest = ephReq, RevisionEphemeralStorageLimit = ephLim,
        };
    }

    private static GoTemplate ParseTemplate(string text)
    {
        try { return GoTemplate.Parse("container-template", text); }
        catch (GoTemplateException e) { throw new ConfigMapParseException(e.Message); }
    }

    private static void ExecuteOnEmptyMeta(GoTemplate t)
    {
        try { t.Execute(ObjectMetaValues("", "", null, null)); }
        catch (GoTemplateException e) { throw new ConfigMapParseException("error executing template: " + e.Message); }
    }

    /// <summary>Template data for a parent's ObjectMeta (type <c>v1.ObjectMeta</c> in error texts).</summary>
    public static TemplateData ObjectMetaValues(string name, string ns,
        IReadOnlyDictionary<string, string>? labels, IReadOnlyDictionary<string, string>? annotations) =>
        new("v1.ObjectMeta", new Dictionary<string, object?>
        {
            ["Name"] = name, ["GenerateName"] = "", ["Namespace"] = ns, ["UID"] = "", ["ResourceVersion"] = "",
            ["Labels"] = labels, ["Annotations"] = annotations,
        });

    /// <summary>Name of the (single) user container for a parent, from container-name-template; "" when the
    /// template fails on this parent (upstream behaviour).</summary>
    public string UserContainerName(string parentName, string parentNamespace,
        IReadOnlyDictionary<string, string>? labels = null, IReadOnlyDictionary<string, string>? annotations = null)
    {
        try { return GoTemplate.Parse("container-template", UserContainerNameTemplate).Execute(ObjectMetaValues(parentName, parentNamespace, labels, annotations)); }
        catch (GoTemplateException) { return ""; }
    }

    public string InitContainerName(string parentName, string parentNamespace)
    {
        try { return GoTemplate.Parse("container-template", InitContainerNameTemplate).Execute(ObjectMetaValues(parentName, parentNamespace, null, null)); }
        catch (GoTemplateException) { return ""; }
    }
}
