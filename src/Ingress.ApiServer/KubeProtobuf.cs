using System.Text.Json.Nodes;

namespace Ingress.ApiServer;

/// <summary>The Kubernetes protobuf wire format for the core kinds (placeholder until implemented).</summary>
internal static class KubeProtobuf
{
    public const string ContentType = "application/vnd.kubernetes.protobuf";

    public static bool Wanted(string accept) => false;

    public static bool CanEncode(ResourceType rt) => false;

    public static byte[] Encode(JsonObject obj, ResourceType rt) => throw new NotSupportedException();

    public static JsonNode Decode(byte[] bytes, ResourceType rt) =>
        throw new ApiException(StatusReason.UnsupportedMediaType, $"the body of the request was in an unknown format - accepted media types include: application/json, application/yaml");
}
