using System.Text.Json.Nodes;
using Ingress.Api;
using Ingress.Serving.Yaml;

namespace Ingress.Serving.Tests.Unit;

/// <summary>Every object the builders produce (the golden expected files) must survive a round trip through the
/// generated models unchanged, so the typed façade (TypedBuilders) loses nothing.</summary>
public class ModelRoundTripTests
{
    private static string GoldenRoot([System.Runtime.CompilerServices.CallerFilePath] string path = "") =>
        Path.Combine(Path.GetDirectoryName(path)!, "..", "Golden");

    public static IEnumerable<object[]> ExpectedFiles() =>
        Directory.GetFiles(GoldenRoot(), "expected.yaml", SearchOption.AllDirectories)
            .Where(f => !f.Contains("validation") && !f.Contains("defaulting"))
            .Select(f => new object[] { Path.GetRelativePath(GoldenRoot(), f) }).OrderBy(x => (string)x[0]);

    [Theory]
    [MemberData(nameof(ExpectedFiles))]
    public void BuilderOutputRoundTripsThroughModels(string file)
    {
        foreach (var node in YamlJson.ParseAll(File.ReadAllText(Path.Combine(GoldenRoot(), file))).OfType<JsonObject>())
        {
            if (node["kind"] is null) continue; // reconcile-error records of the golden runner
            var typed = KubeJson.FromNodeKnown(node);
            var back = KubeJson.ToNode(typed, typed.GetType());
            Assert.True(JsonNode.DeepEquals(Normalize(node), Normalize(back)),
                $"{file}: {node["kind"]} changed in a model round trip:\n{back.ToJsonString()}\nexpected\n{node.ToJsonString()}");
        }
    }

    private static JsonNode? Normalize(JsonNode? n) => n switch
    {
        JsonObject o => new JsonObject(o.OrderBy(kv => kv.Key, StringComparer.Ordinal).Select(kv => KeyValuePair.Create(kv.Key, Normalize(kv.Value)))),
        JsonArray a => new JsonArray(a.Select(Normalize).ToArray()),
        JsonValue v when v.TryGetValue<double>(out var d) && d == Math.Floor(d) => JsonValue.Create((long)d),
        null => null,
        _ => n.DeepClone(),
    };
}
