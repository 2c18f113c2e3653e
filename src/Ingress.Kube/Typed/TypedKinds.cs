using Ingress.Api;
using Ingress.Kube.Cache;
using Ingress.Kube.Client;
using Ingress.Kube.Controller;

namespace Ingress.Kube.Typed;

/// <summary>
/// Typed conveniences over the generated models: the descriptor, JSON metadata and informer of a kind come
/// from its static identity (<see cref="IKubernetesObject{TSelf}"/>) and <see cref="KubeJson"/>.
/// </summary>
public static class TypedKinds
{
    /// <summary>The REST descriptor of a generated kind.</summary>
    public static ResourceDescriptor Descriptor<T>() where T : class, IKubernetesObject<T>, new()
    {
        var apiVersion = T.ApiVersionValue;
        var slash = apiVersion.IndexOf('/');
        var version = slash < 0 ? apiVersion : apiVersion[(slash + 1)..];
        return new ResourceDescriptor(T.ApiGroup, version, T.Plural, T.Namespaced, T.KindValue);
    }

    /// <summary>The descriptor of a registry entry (for code that works from <see cref="KnownKinds"/>).</summary>
    public static ResourceDescriptor Descriptor(KnownKind kind) => new(kind.Group, kind.Version, kind.Plural, kind.Namespaced, kind.Kind);

    /// <summary>A typed client: <c>client.For&lt;ConfigMap&gt;().GetAsync(ns, name)</c>.</summary>
    public static ResourceClient<T> For<T>(this KubeClient client) where T : class, IKubernetesObject<T>, new() =>
        client.Resource(Descriptor<T>(), KubeJson.GetTypeInfo<T>());

    /// <summary>The shared typed informer of a kind (one per kind and scope per factory).</summary>
    public static SharedInformer<T> For<T>(this SharedInformerFactory factory, InformerScope? scope = null) where T : class, IKubernetesObject<T>, new() =>
        factory.For(Descriptor<T>(), KubeJson.GetTypeInfo<T>(), scope);

    /// <summary>A reconciler host for a generated kind, reading from the factory's shared informer.</summary>
    public static KindReconcilerHost<T> ReconcilerHost<T>(this SharedInformerFactory factory, IKindReconciler<T> reconciler,
        EventRecorder? events = null, KindReconcilerOptions? options = null) where T : class, IKubernetesObject<T>, new() =>
        new(factory.For<T>(), factory.Client.For<T>(), reconciler, events, options);

    /// <summary>"namespace/name" of a typed object.</summary>
    public static string KeyOf(IKubernetesObject obj) => ObjectKey.Of(obj.Metadata.Namespace, obj.Metadata.Name ?? "");
}
