using System.Text.Json.Nodes;
using Ingress.Serving.Go;
using Ingress.Serving.Webhook;

namespace Ingress.Serving.Images;

/// <summary>The Revision side of digest resolution: which images, whether it is done, and the status it writes. Pure.</summary>
public static class ImageDigests
{
    /// <summary>The images of the init containers then the containers, in spec order (duplicates kept).</summary>
    public static List<string> Images(JsonObject revision)
    {
        var spec = Json.Obj(revision, "spec");
        return Containers(spec, "initContainers").Concat(Containers(spec, "containers")).Select(c => Json.Str(c, "image")).ToList();
    }

    private static IEnumerable<JsonObject> Containers(JsonObject? spec, string key) => Json.Arr(spec, key)?.OfType<JsonObject>() ?? [];

    /// <summary>Upstream's test: as many container statuses (init included) as containers means resolved, and it is
    /// never redone (a Revision is immutable).</summary>
    public static bool AlreadyResolved(JsonObject revision)
    {
        var spec = Json.Obj(revision, "spec");
        var status = Json.Obj(revision, "status");
        var want = Containers(spec, "initContainers").Count() + Containers(spec, "containers").Count();
        var have = (Json.Arr(status, "containerStatuses")?.Count ?? 0) + (Json.Arr(status, "initContainerStatuses")?.Count ?? 0);
        return have == want;
    }

    /// <summary><c>status.containerStatuses</c> (and <c>initContainerStatuses</c> when there are init containers): one
    /// <c>{name, imageDigest}</c> per container in spec order, <c>imageDigest</c> omitted when resolution was skipped.</summary>
    public static void SetStatuses(JsonObject revision, IReadOnlyDictionary<string, string> resolved)
    {
        var spec = Json.Obj(revision, "spec");
        var status = Json.EnsureObj(revision, "status");
        JsonArray Statuses(string key) => new(Containers(spec, key).Select(c =>
        {
            var entry = new JsonObject { ["name"] = Json.Str(c, "name") };
            if (resolved.GetValueOrDefault(Json.Str(c, "image")) is { Length: > 0 } digest) entry["imageDigest"] = digest;
            return (JsonNode)entry;
        }).ToArray());
        var init = Statuses("initContainers");
        if (init.Count > 0) status["initContainerStatuses"] = init;
        status["containerStatuses"] = Statuses("containers");
    }

    /// <summary>Upstream RevisionContainerMissingMessage.</summary>
    public static string ContainerMissingMessage(string image, string message) => $"Unable to fetch image {GoFormat.Quote(image)}: {message}";
}
