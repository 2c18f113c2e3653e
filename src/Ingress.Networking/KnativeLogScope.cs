using Microsoft.Extensions.Logging;

namespace Ingress.Networking;

/// <summary>
/// Log scopes carrying Knative's structured keys. Template placeholders cannot contain '/' or '.', so the keys ride
/// on a scope around the source-generated log call: every structured sink sees <c>knative.dev/key</c> and
/// <c>knative.dev/controller</c>.
/// </summary>
public static class KnativeLogScope
{
    public const string KeyField = "knative.dev/key";
    public const string ControllerField = "knative.dev/controller";
    public const string ControllerName = "istio-ingress-controller";

    public static IDisposable? Begin(ILogger logger, string key) =>
        logger.BeginScope(new KeyValuePair<string, object>[] { new(KeyField, key), new(ControllerField, ControllerName) });
}
