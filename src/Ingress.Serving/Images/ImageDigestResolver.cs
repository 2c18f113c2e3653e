namespace Ingress.Serving.Images;

/// <summary>Why an image could not be resolved to a digest (closed set).</summary>
public enum ImageResolutionFailure
{
    /// <summary>The reference does not parse.</summary>
    InvalidReference,
    /// <summary>The registry wants credentials we do not have (anonymous pulls refused), or the token flow failed.</summary>
    Unauthorized,
    /// <summary>No such repository or tag.</summary>
    NotFound,
    /// <summary>Any other unexpected status, or a response without a usable digest.</summary>
    RegistryError,
    /// <summary>config-deployment <c>digest-resolution-timeout</c> passed.</summary>
    Timeout,
    /// <summary>The registry could not be reached (DNS, connection, TLS).</summary>
    Network,
}

/// <summary>A failed resolution; <see cref="Exception.Message"/> is what follows
/// <c>failed to resolve image to digest: </c> in the Revision's condition.</summary>
public sealed class ImageResolutionException(ImageResolutionFailure failure, string message, Exception? inner = null) : Exception(message, inner)
{
    public ImageResolutionFailure Failure { get; } = failure;
}

/// <summary>
/// Resolves an image tag to a digest, as upstream's Revision reconciler does before it makes the Deployment (so every
/// replica runs the same image even when the tag moves). Injected into <see cref="Reconcilers.RevisionReconciler"/>.
/// </summary>
public interface IImageDigestResolver
{
    /// <summary>False for <see cref="ImageDigestResolvers.None"/>: the Revision reconciler then skips the digest phase
    /// altogether and leaves <c>status.containerStatuses</c> alone.</summary>
    bool Resolves { get; }

    /// <summary><c>registry/repository@sha256:…</c> for a tag; <paramref name="image"/> itself when it already names a
    /// digest; "" when its registry is in <paramref name="registriesToSkip"/> (config-deployment
    /// <c>registries-skipping-tag-resolving</c>).</summary>
    /// <exception cref="ImageResolutionException">The registry did not give a digest.</exception>
    Task<string> ResolveAsync(string image, IReadOnlySet<string> registriesToSkip, CancellationToken ct);
}

/// <summary>The resolvers a host picks from.</summary>
public static class ImageDigestResolvers
{
    /// <summary>
    /// No resolution. What <c>ingress render</c> and <c>ingress up</c> use: image resolution sits "underneath" the
    /// controllers like the kubelet and the runner do (a registry is part of the cluster, not of the control plane), and
    /// neither host has one: render simulates nothing but probes and must never touch the network (its output may not
    /// depend on a registry), and up maps images to local programs by name, so there is no registry to ask and a digest
    /// would only break that mapping. In a cluster, <c>ingress controller</c> uses <see cref="RegistryDigestResolver"/>.
    /// </summary>
    public static readonly IImageDigestResolver None = new NoResolution();

    private sealed class NoResolution : IImageDigestResolver
    {
        public bool Resolves => false;
        public Task<string> ResolveAsync(string image, IReadOnlySet<string> registriesToSkip, CancellationToken ct) => Task.FromResult("");
    }
}
