namespace Ingress.Kube.Client;

/// <summary>
/// Where a kind lives on the API server: enough to build every REST path without discovery.
/// Why no discovery: every kind this project touches is known at compile time, and a descriptor
/// keeps the client independent of any generated model.
/// </summary>
public sealed record ResourceDescriptor(string Group, string Version, string Plural, bool Namespaced, string Kind)
{
    /// <summary>"v1" for the core group, "group/version" otherwise.</summary>
    public string ApiVersion => Group.Length == 0 ? Version : $"{Group}/{Version}";

    /// <summary>"plural.group" as Kubernetes names it in error messages (e.g. "leases.coordination.k8s.io").</summary>
    public string GroupResource => Group.Length == 0 ? Plural : $"{Plural}.{Group}";

    public static readonly ResourceDescriptor ConfigMaps = new("", "v1", "configmaps", true, "ConfigMap");
    public static readonly ResourceDescriptor Secrets = new("", "v1", "secrets", true, "Secret");
    public static readonly ResourceDescriptor Namespaces = new("", "v1", "namespaces", false, "Namespace");
    public static readonly ResourceDescriptor Events = new("", "v1", "events", true, "Event");
    public static readonly ResourceDescriptor Pods = new("", "v1", "pods", true, "Pod");
    public static readonly ResourceDescriptor Leases = new("coordination.k8s.io", "v1", "leases", true, "Lease");

    internal string CollectionPath(string? @namespace)
    {
        var prefix = Group.Length == 0 ? $"/api/{Version}" : $"/apis/{Group}/{Version}";
        if (Namespaced && !string.IsNullOrEmpty(@namespace))
        {
            return $"{prefix}/namespaces/{Uri.EscapeDataString(@namespace)}/{Plural}";
        }
        return $"{prefix}/{Plural}";
    }

    internal string ItemPath(string? @namespace, string name, string? subresource = null)
    {
        if (Namespaced && string.IsNullOrEmpty(@namespace))
        {
            throw new ArgumentException($"{GroupResource} is namespaced: a namespace is required for \"{name}\".", nameof(@namespace));
        }
        var path = $"{CollectionPath(Namespaced ? @namespace : null)}/{Uri.EscapeDataString(name)}";
        return subresource is null ? path : $"{path}/{subresource}";
    }
}
