using Microsoft.Extensions.Logging;

namespace Ingress.Autoscaling;

/// <summary>Source-generated log messages. Callers wrap them in <see cref="Scope"/>, which carries Knative's
/// structured fields <c>knative.dev/key</c> (revision <c>namespace/name</c>) and <c>knative.dev/controller</c>.</summary>
internal static partial class Log
{
    public const string KeyField = "knative.dev/key";
    public const string ControllerField = "knative.dev/controller";

    public static IDisposable? Scope(ILogger logger, RevisionKey key, string controller) =>
        logger.BeginScope(new Dictionary<string, object> { [KeyField] = key.ToString(), [ControllerField] = controller });

    [LoggerMessage(EventId = 1, Level = LogLevel.Information, Message = "Entering panic mode for {Revision}: {Desired} pods")]
    public static partial void PanicStarted(ILogger logger, RevisionKey revision, int desired);

    [LoggerMessage(EventId = 2, Level = LogLevel.Information, Message = "Leaving panic mode for {Revision}")]
    public static partial void PanicStopped(ILogger logger, RevisionKey revision);

    [LoggerMessage(EventId = 3, Level = LogLevel.Debug, Message = "No data to scale {Revision} on yet")]
    public static partial void NoData(ILogger logger, RevisionKey revision);

    [LoggerMessage(EventId = 4, Level = LogLevel.Warning, Message = "Failed to count ready pods of {Revision}: {Error}")]
    public static partial void PodCountFailed(ILogger logger, RevisionKey revision, string error);

    [LoggerMessage(EventId = 5, Level = LogLevel.Warning, Message = "Failed to scrape metrics of {Revision}: {ScrapeError} {Error}")]
    public static partial void ScrapeFailed(ILogger logger, RevisionKey revision, Scraping.ScrapeError scrapeError, string? error);

    [LoggerMessage(EventId = 6, Level = LogLevel.Debug, Message = "Decision for {Revision}: desired={Desired} ebc={ExcessBurstCapacity}")]
    public static partial void Decision(ILogger logger, RevisionKey revision, int desired, int excessBurstCapacity);

    [LoggerMessage(EventId = 7, Level = LogLevel.Warning, Message = "Ignoring a malformed stat message: {Error}")]
    public static partial void BadStatMessage(ILogger logger, string error);
}
