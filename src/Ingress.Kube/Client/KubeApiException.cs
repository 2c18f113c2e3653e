using System.Net;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace Ingress.Kube.Client;

/// <summary>The closed set of failures the client distinguishes, from the Status reason and the HTTP code.</summary>
public enum KubeErrorReason
{
    Unknown,
    BadRequest,
    Unauthorized,
    Forbidden,
    NotFound,
    MethodNotAllowed,
    AlreadyExists,
    Conflict,
    Gone,
    UnsupportedMediaType,
    Invalid,
    TooManyRequests,
    InternalError,
    ServiceUnavailable,
    Timeout,
}

/// <summary>A Kubernetes Status object (reference §4).</summary>
public sealed class KubeStatus
{
    [JsonPropertyName("kind")] public string? Kind { get; set; }
    [JsonPropertyName("apiVersion")] public string? ApiVersion { get; set; }
    [JsonPropertyName("status")] public string? Status { get; set; }
    [JsonPropertyName("message")] public string? Message { get; set; }
    [JsonPropertyName("reason")] public string? Reason { get; set; }
    [JsonPropertyName("details")] public KubeStatusDetails? Details { get; set; }
    [JsonPropertyName("code")] public int? Code { get; set; }
}

public sealed class KubeStatusDetails
{
    [JsonPropertyName("name")] public string? Name { get; set; }
    [JsonPropertyName("group")] public string? Group { get; set; }
    [JsonPropertyName("kind")] public string? Kind { get; set; }
    [JsonPropertyName("uid")] public string? Uid { get; set; }
    [JsonPropertyName("causes")] public List<KubeStatusCause>? Causes { get; set; }
    [JsonPropertyName("retryAfterSeconds")] public int? RetryAfterSeconds { get; set; }
}

public sealed class KubeStatusCause
{
    [JsonPropertyName("reason")] public string? Reason { get; set; }
    [JsonPropertyName("message")] public string? Message { get; set; }
    [JsonPropertyName("field")] public string? Field { get; set; }
}

/// <summary>An error answer from the API server. Catch the subclasses for the cases callers act on.</summary>
public class KubeApiException : Exception
{
    public KubeApiException(KubeErrorReason reason, int statusCode, string message, KubeStatus? status, TimeSpan? retryAfter = null)
        : base(message)
    {
        Reason = reason;
        StatusCode = statusCode;
        Status = status;
        RetryAfter = retryAfter;
    }

    public KubeErrorReason Reason { get; }
    public int StatusCode { get; }
    public KubeStatus? Status { get; }
    /// <summary>From the Retry-After header, or Status.details.retryAfterSeconds.</summary>
    public TimeSpan? RetryAfter { get; }

    /// <summary>Maps an HTTP answer to the typed exception (Status reason first, HTTP code second).</summary>
    public static KubeApiException FromResponse(int code, KubeStatus? status, string? body, TimeSpan? retryAfter)
    {
        var reasonText = status?.Reason;
        var message = status?.Message;
        if (string.IsNullOrEmpty(message))
        {
            message = string.IsNullOrWhiteSpace(body) ? $"the server answered {code} {(HttpStatusCode)code}" : body.Trim();
        }
        retryAfter ??= status?.Details?.RetryAfterSeconds is int s ? TimeSpan.FromSeconds(s) : null;
        var reason = Classify(code, reasonText);
        return reason switch
        {
            KubeErrorReason.NotFound => new NotFoundException(code, message, status),
            KubeErrorReason.AlreadyExists => new AlreadyExistsException(code, message, status),
            KubeErrorReason.Conflict => new ConflictException(code, message, status),
            KubeErrorReason.Gone => new GoneException(code, message, status),
            KubeErrorReason.Invalid => new InvalidException(code, message, status),
            KubeErrorReason.TooManyRequests => new TooManyRequestsException(code, message, status, retryAfter),
            KubeErrorReason.Unauthorized => new UnauthorizedException(code, message, status),
            KubeErrorReason.Forbidden => new ForbiddenException(code, message, status),
            KubeErrorReason.InternalError or KubeErrorReason.ServiceUnavailable or KubeErrorReason.Timeout
                => new ServerErrorException(reason, code, message, status, retryAfter),
            _ => new KubeApiException(reason, code, message, status, retryAfter),
        };
    }

    internal static KubeErrorReason Classify(int code, string? reasonText)
    {
        switch (reasonText)
        {
            case "NotFound": return KubeErrorReason.NotFound;
            case "AlreadyExists": return KubeErrorReason.AlreadyExists;
            case "Conflict": return KubeErrorReason.Conflict;
            case "Gone":
            case "Expired": return KubeErrorReason.Gone;
            case "Invalid": return KubeErrorReason.Invalid;
            case "TooManyRequests": return KubeErrorReason.TooManyRequests;
            case "Unauthorized": return KubeErrorReason.Unauthorized;
            case "Forbidden": return KubeErrorReason.Forbidden;
            case "BadRequest": return KubeErrorReason.BadRequest;
            case "MethodNotAllowed": return KubeErrorReason.MethodNotAllowed;
            case "UnsupportedMediaType": return KubeErrorReason.UnsupportedMediaType;
            case "ServiceUnavailable": return KubeErrorReason.ServiceUnavailable;
            case "Timeout": return KubeErrorReason.Timeout;
            case "InternalError": return KubeErrorReason.InternalError;
        }
        return code switch
        {
            400 => KubeErrorReason.BadRequest,
            401 => KubeErrorReason.Unauthorized,
            403 => KubeErrorReason.Forbidden,
            404 => KubeErrorReason.NotFound,
            405 => KubeErrorReason.MethodNotAllowed,
            409 => KubeErrorReason.Conflict,
            410 => KubeErrorReason.Gone,
            415 => KubeErrorReason.UnsupportedMediaType,
            422 => KubeErrorReason.Invalid,
            429 => KubeErrorReason.TooManyRequests,
            503 => KubeErrorReason.ServiceUnavailable,
            504 => KubeErrorReason.Timeout,
            >= 500 => KubeErrorReason.InternalError,
            _ => KubeErrorReason.Unknown,
        };
    }

    internal static KubeStatus? TryParseStatus(string body)
    {
        if (string.IsNullOrWhiteSpace(body) || body.TrimStart()[0] != '{') return null;
        try
        {
            var s = JsonSerializer.Deserialize(body, KubeJsonContext.Default.KubeStatus);
            return s?.Kind == "Status" || s?.Reason is not null ? s : null;
        }
        catch (JsonException)
        {
            return null;
        }
    }
}

public sealed class NotFoundException(int code, string message, KubeStatus? status)
    : KubeApiException(KubeErrorReason.NotFound, code, message, status);

public sealed class AlreadyExistsException(int code, string message, KubeStatus? status)
    : KubeApiException(KubeErrorReason.AlreadyExists, code, message, status);

public sealed class ConflictException(int code, string message, KubeStatus? status)
    : KubeApiException(KubeErrorReason.Conflict, code, message, status);

/// <summary>410: the resourceVersion asked for is too old; informers relist.</summary>
public sealed class GoneException(int code, string message, KubeStatus? status)
    : KubeApiException(KubeErrorReason.Gone, code, message, status);

/// <summary>422: validation failed; <see cref="Causes"/> says which fields.</summary>
public sealed class InvalidException(int code, string message, KubeStatus? status)
    : KubeApiException(KubeErrorReason.Invalid, code, message, status)
{
    public IReadOnlyList<KubeStatusCause> Causes => Status?.Details?.Causes ?? [];
}

public sealed class TooManyRequestsException(int code, string message, KubeStatus? status, TimeSpan? retryAfter)
    : KubeApiException(KubeErrorReason.TooManyRequests, code, message, status, retryAfter);

public sealed class UnauthorizedException(int code, string message, KubeStatus? status)
    : KubeApiException(KubeErrorReason.Unauthorized, code, message, status);

public sealed class ForbiddenException(int code, string message, KubeStatus? status)
    : KubeApiException(KubeErrorReason.Forbidden, code, message, status);

/// <summary>5xx answers: InternalError, ServiceUnavailable, Timeout.</summary>
public sealed class ServerErrorException(KubeErrorReason reason, int code, string message, KubeStatus? status, TimeSpan? retryAfter)
    : KubeApiException(reason, code, message, status, retryAfter);
