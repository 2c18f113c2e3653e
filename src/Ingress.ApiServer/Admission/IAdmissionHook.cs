using System.Text.Json.Nodes;

namespace Ingress.ApiServer.Admission;

public enum AdmissionOperation { Create, Update, Delete }

/// <summary>What an admission hook sees. <see cref="Object"/> is the object about to be stored (hooks
/// mutate it in place when defaulting); <see cref="OldObject"/> is the stored one for updates and deletes.</summary>
public sealed record AdmissionRequest(
    string Group, string Version, string Kind, string Resource, string? Subresource,
    string Namespace, string Name, AdmissionOperation Operation, JsonObject Object, JsonObject? OldObject,
    bool DryRun, string? FieldManager);

/// <summary>A hook's answer. A denial becomes a Status whose message is
/// <c>admission webhook "&lt;hook name&gt;" denied the request: &lt;message&gt;</c>, as Knative's webhook reads.</summary>
public readonly record struct AdmissionResult(bool Allowed, string? Message, int Code)
{
    public static AdmissionResult Allow => new(true, null, 200);
    /// <summary>Denies with 400 BadRequest (what Knative's webhook answers for validation failures).</summary>
    public static AdmissionResult Deny(string message, int code = 400) => new(false, message, code);
}

/// <summary>In-process defaulting and validation, registered by other projects (e.g. the serving module
/// registers Knative's). The server calls <see cref="Mutate"/> of every matching hook, then
/// <see cref="Validate"/> of every matching hook, before storing.</summary>
public interface IAdmissionHook
{
    /// <summary>Name printed in denial messages, e.g. "validation.webhook.serving.knative.dev".</summary>
    string Name { get; }

    /// <summary>Whether this hook wants requests for the kind.</summary>
    bool Handles(string group, string kind);

    /// <summary>Defaulting: change <see cref="AdmissionRequest.Object"/> in place, or deny.</summary>
    AdmissionResult Mutate(AdmissionRequest request) => AdmissionResult.Allow;

    /// <summary>Validation: must not change the object.</summary>
    AdmissionResult Validate(AdmissionRequest request) => AdmissionResult.Allow;
}
