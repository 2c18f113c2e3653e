using System.Text;
using System.Text.Json.Nodes;
using Ingress.ApiServer.Admission;

namespace Ingress.Local.Webhook;

/// <summary>The three webhook paths the manifests register (manifests/500-webhook), each a closed kind.</summary>
public enum WebhookPath
{
    /// <summary><c>/defaulting</c>: every matching hook's Mutate; the answer carries a JSON Patch.</summary>
    Defaulting,
    /// <summary><c>/resource-validation</c>: every matching hook's Validate.</summary>
    ResourceValidation,
    /// <summary><c>/config-validation</c>: Validate of hooks that handle v1 ConfigMap.</summary>
    ConfigValidation,
}

/// <summary>Turns an admission.k8s.io/v1 AdmissionReview into calls of the same <see cref="IAdmissionHook"/>s the
/// embedded API server runs in process, so defaulting and validation are one code path in both places.</summary>
public sealed class AdmissionReviewHandler(IReadOnlyList<IAdmissionHook> hooks)
{
    public static WebhookPath? PathOf(string path) => path switch
    {
        "/defaulting" => WebhookPath.Defaulting,
        "/resource-validation" => WebhookPath.ResourceValidation,
        "/config-validation" => WebhookPath.ConfigValidation,
        _ => null,
    };

    /// <summary>Answers one review. Throws <see cref="FormatException"/> when the body is not an AdmissionReview.</summary>
    public JsonObject Handle(WebhookPath path, JsonObject review)
    {
        if (review["request"] is not JsonObject request) throw new FormatException("AdmissionReview has no request");
        var uid = request["uid"]?.GetValue<string>() ?? throw new FormatException("AdmissionReview request has no uid");
        var response = Decide(path, request);
        response["uid"] = uid;
        return new JsonObject
        {
            ["apiVersion"] = review["apiVersion"]?.GetValue<string>() ?? "admission.k8s.io/v1",
            ["kind"] = "AdmissionReview",
            ["response"] = response,
        };
    }

    private JsonObject Decide(WebhookPath path, JsonObject request)
    {
        var kind = request["kind"] as JsonObject ?? throw new FormatException("AdmissionReview request has no kind");
        var group = kind["group"]?.GetValue<string>() ?? "";
        var kindName = kind["kind"]?.GetValue<string>() ?? throw new FormatException("AdmissionReview request kind has no kind");
        var operation = request["operation"]?.GetValue<string>() switch
        {
            "CREATE" => AdmissionOperation.Create,
            "UPDATE" => AdmissionOperation.Update,
            "DELETE" => AdmissionOperation.Delete,
            _ => (AdmissionOperation?)null, // CONNECT: nothing of ours to check
        };
        if (operation is null) return Allowed();

        var oldObject = request["oldObject"] as JsonObject;
        var original = request["object"] as JsonObject ?? (operation == AdmissionOperation.Delete ? oldObject : null);
        if (original is null) throw new FormatException("AdmissionReview request has no object");
        var working = (JsonObject)original.DeepClone();
        var admission = new AdmissionRequest(
            group, kind["version"]?.GetValue<string>() ?? "", kindName,
            request["resource"]?["resource"]?.GetValue<string>() ?? "", request["subResource"]?.GetValue<string>(),
            request["namespace"]?.GetValue<string>() ?? "", request["name"]?.GetValue<string>() ?? working["metadata"]?["name"]?.GetValue<string>() ?? "",
            operation.Value, working, (JsonObject?)oldObject?.DeepClone(), request["dryRun"]?.GetValue<bool>() ?? false, null);

        var matching = hooks.Where(h => path == WebhookPath.ConfigValidation
            ? group == "" && kindName == "ConfigMap" && h.Handles("", "ConfigMap")
            : h.Handles(group, kindName)).ToList();
        foreach (var hook in matching)
        {
            var result = path == WebhookPath.Defaulting ? hook.Mutate(admission) : hook.Validate(admission);
            if (!result.Allowed) return Denied(result);
        }
        if (path != WebhookPath.Defaulting) return Allowed();

        var patch = JsonPatchDiff.Create(original, working);
        var response = Allowed();
        if (patch.Count > 0)
        {
            response["patchType"] = "JSONPatch";
            response["patch"] = Convert.ToBase64String(Encoding.UTF8.GetBytes(patch.ToJsonString()));
        }
        return response;
    }

    private static JsonObject Allowed() => new() { ["allowed"] = true };

    private static JsonObject Denied(AdmissionResult result) => new()
    {
        ["allowed"] = false,
        ["status"] = new JsonObject
        {
            ["status"] = "Failure",
            ["code"] = result.Code,
            ["reason"] = result.Code switch { 403 => "Forbidden", 409 => "Conflict", 422 => "Invalid", _ => "BadRequest" },
            ["message"] = result.Message ?? "denied",
        },
    };
}
