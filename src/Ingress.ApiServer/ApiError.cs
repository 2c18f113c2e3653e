using System.Text.Json.Nodes;

namespace Ingress.ApiServer;

/// <summary>The closed set of failure reasons the server answers with, each with its HTTP code.</summary>
public enum StatusReason
{
    BadRequest, Unauthorized, Forbidden, NotFound, AlreadyExists, Conflict, Gone, Invalid, MethodNotAllowed,
    NotAcceptable, UnsupportedMediaType, RequestEntityTooLarge, InternalError, Expired,
}

/// <summary>A failure that becomes a Kubernetes <c>Status</c> body.</summary>
public sealed class ApiException(StatusReason reason, string message, string? name = null, ResourceType? type = null)
    : Exception(message)
{
    public StatusReason Reason { get; } = reason;
    public string? Name { get; } = name;
    public ResourceType? Type { get; } = type;
    public JsonArray? Causes { get; init; }
    /// <summary>details.kind when it is not the plural: 422 Invalid names the Kind, as the real server does.</summary>
    public string? DetailsKind { get; init; }

    public int Code => CodeOf(Reason);

    public static int CodeOf(StatusReason reason) => reason switch
    {
        StatusReason.BadRequest => 400,
        StatusReason.Unauthorized => 401,
        StatusReason.Forbidden => 403,
        StatusReason.NotFound => 404,
        StatusReason.AlreadyExists or StatusReason.Conflict => 409,
        StatusReason.Gone or StatusReason.Expired => 410,
        StatusReason.Invalid => 422,
        StatusReason.MethodNotAllowed => 405,
        StatusReason.NotAcceptable => 406,
        StatusReason.UnsupportedMediaType => 415,
        StatusReason.RequestEntityTooLarge => 413,
        _ => 500,
    };

    public JsonObject ToStatus()
    {
        var status = new JsonObject
        {
            ["kind"] = "Status", ["apiVersion"] = "v1", ["metadata"] = new JsonObject(),
            ["status"] = "Failure", ["message"] = Message, ["reason"] = Reason.ToString(),
        };
        if (Name is not null || Type is not null || Causes is not null)
        {
            var details = new JsonObject();
            if (Name is not null) details["name"] = Name;
            if (Type is not null) { details["group"] = Type.Group; details["kind"] = DetailsKind ?? Type.Plural; }
            if (Causes is not null) details["causes"] = Causes;
            status["details"] = details;
        }
        status["code"] = Code;
        return status;
    }

    public static ApiException NotFound(ResourceType type, string name) =>
        new(StatusReason.NotFound, $"{type.QualifiedName} \"{name}\" not found", name, type);

    public static ApiException AlreadyExists(ResourceType type, string name) =>
        new(StatusReason.AlreadyExists, $"{type.QualifiedName} \"{name}\" already exists", name, type);

    public static ApiException Conflict(ResourceType type, string name) =>
        new(StatusReason.Conflict,
            $"Operation cannot be fulfilled on {type.QualifiedName} \"{name}\": the object has been modified; please apply your changes to the latest version and try again",
            name, type);

    public static ApiException BadRequest(string message) => new(StatusReason.BadRequest, message);

    public static ApiException Invalid(ResourceType type, string name, string field, string message) =>
        new(StatusReason.Invalid, $"{(type.Group.Length == 0 ? type.Kind : type.Kind + "." + type.Group)} \"{name}\" is invalid: {field}: {message}", name, type)
        {
            DetailsKind = type.Kind,
            Causes = [new JsonObject { ["reason"] = "FieldValueInvalid", ["message"] = message, ["field"] = field }],
        };
}
