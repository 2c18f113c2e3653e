using Microsoft.Extensions.Logging;

namespace Ingress.Kube.Diagnostics;

/// <summary>Knative's structured-log keys.</summary>
public static class KnativeLogKeys
{
    public const string Controller = "knative.dev/controller";
    public const string Key = "knative.dev/key";
    public const string TraceId = "knative.dev/traceid";
    public const string Kind = "knative.dev/kind";
}

internal static partial class Log
{
    [LoggerMessage(EventId = 1, Level = LogLevel.Debug, Message = "Retrying {Verb} {Path} (attempt {Attempt}) after {DelayMs} ms: {Reason}")]
    public static partial void Retrying(ILogger logger, string verb, string path, int attempt, double delayMs, string reason);

    // Knative's line is "Reconcile succeeded" with a duration field; the duration is part of the template
    // so that it is both a structured property and visible on a plain console.
    [LoggerMessage(EventId = 10, Level = LogLevel.Information, Message = "Reconcile succeeded (duration {duration})")]
    public static partial void ReconcileSucceeded(ILogger logger, TimeSpan duration);

    [LoggerMessage(EventId = 11, Level = LogLevel.Error, Message = "Reconcile error (duration {duration})")]
    public static partial void ReconcileError(ILogger logger, Exception exception, TimeSpan duration);

    [LoggerMessage(EventId = 20, Level = LogLevel.Information, Message = "Listed {Resource}: {Count} objects at resourceVersion {ResourceVersion} ({Reason})")]
    public static partial void Listed(ILogger logger, string resource, int count, string resourceVersion, string reason);

    [LoggerMessage(EventId = 21, Level = LogLevel.Information, Message = "Watch of {Resource} from resourceVersion {ResourceVersion} expired (410 Gone); relisting")]
    public static partial void WatchGone(ILogger logger, string resource, string resourceVersion);

    [LoggerMessage(EventId = 22, Level = LogLevel.Warning, Message = "List/watch of {Resource} failed; retrying in {DelayMs} ms")]
    public static partial void ListWatchFailed(ILogger logger, Exception exception, string resource, double delayMs);

    [LoggerMessage(EventId = 23, Level = LogLevel.Error, Message = "Event handler of {Resource} threw")]
    public static partial void HandlerFailed(ILogger logger, Exception exception, string resource);

    [LoggerMessage(EventId = 30, Level = LogLevel.Information, Message = "Became leader of lease {Namespace}/{Lease} as {Identity}")]
    public static partial void BecameLeader(ILogger logger, string @namespace, string lease, string identity);

    [LoggerMessage(EventId = 31, Level = LogLevel.Warning, Message = "Lost lease {Namespace}/{Lease} as {Identity}")]
    public static partial void LostLease(ILogger logger, string @namespace, string lease, string identity);

    [LoggerMessage(EventId = 32, Level = LogLevel.Information, Message = "Released lease {Namespace}/{Lease} as {Identity}")]
    public static partial void ReleasedLease(ILogger logger, string @namespace, string lease, string identity);

    [LoggerMessage(EventId = 33, Level = LogLevel.Debug, Message = "Lease {Namespace}/{Lease} attempt failed")]
    public static partial void LeaseAttemptFailed(ILogger logger, Exception exception, string @namespace, string lease);

    [LoggerMessage(EventId = 40, Level = LogLevel.Warning, Message = "Could not record event {Reason} for {Key}")]
    public static partial void EventFailed(ILogger logger, Exception exception, string reason, string key);

    [LoggerMessage(EventId = 41, Level = LogLevel.Warning, Message = "Status update of {Key} conflicted {Attempts} times; giving up for this round")]
    public static partial void StatusConflicts(ILogger logger, string key, int attempts);
}
