using Ingress.Api.Meta.V1;

namespace Ingress.Api;

/// <summary>Any Kubernetes object: what every top-level kind has in common.</summary>
public interface IKubernetesObject
{
    string? ApiVersion { get; set; }

    string? Kind { get; set; }

    ObjectMeta Metadata { get; set; }
}

/// <summary>
/// A top-level kind with its identity known statically, so generic code (clients, informers, the API server)
/// can write <c>T.Plural</c> instead of looking it up.
/// </summary>
public interface IKubernetesObject<TSelf> : IKubernetesObject
    where TSelf : class, IKubernetesObject<TSelf>, new()
{
    /// <summary>API group; empty for the core group.</summary>
    static abstract string ApiGroup { get; }

    /// <summary>The generated version as written in <c>apiVersion</c> (<c>serving.knative.dev/v1</c>, <c>v1</c>).</summary>
    static abstract string ApiVersionValue { get; }

    static abstract string KindValue { get; }

    /// <summary>Resource name in URLs (<c>services</c>).</summary>
    static abstract string Plural { get; }

    static abstract bool Namespaced { get; }
}
