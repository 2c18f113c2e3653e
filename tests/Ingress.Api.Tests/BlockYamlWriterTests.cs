using System.Text;
using System.Text.Json.Nodes;

namespace Ingress.Api.Tests;

/// <summary>The fast writer must print exactly what YamlDotNet's emitter prints, or decline.</summary>
public class BlockYamlWriterTests
{
    private static readonly string[] Awkward =
    [
        "plain", "a b", "a  b", "a:b", "http://x.example.com:80/p?q=1#f", "it's", "a'b c", "#x", "a #b", "a#b", "-x", "x-", "- x", "-",
        "a: b", "x:", ":x", ": x", "?x", "? x", "{x", "x}", "[x", "x]", "x,y", "@x", "`x", "%x", "x%", "!x", "&x", "*x", "|x", ">x",
        "'a", "\"a", "a\"b", "a\\b", " x", "x ", " ", "---x", "...x", "--", "..", "~x", "x~", "=", "==", "<<", "<<x", "", "null", "Null",
        "true", "yes", "No", "on", "OFF", "y", "1", "-1", "+1", "1.5", "1e5", "1e5x", "0x1F", "0o17", "1.2.3", "10.0.0.1:80", "12:30",
        ".inf", "-.Inf", ".nan", "v1.2", "2001-09-09T01:46:40Z", "key=value,k2=v", "{\"a\":1}", "[1, 2]", "'quoted'", "a 'b' c",
        "a \"b\" c", "x'y\"z", "it's a #tag", "é", "a\tb", "a\rb", "\u00a0", "日本",
        "a\nb", "a\nb\n", "a\n\nb", "x\n  y\n", "\nlead", "trail\n\n", "a \nb", "a\n b", "{\"apiVersion\":\"v1\",\"kind\":\"ConfigMap\"}\n",
        "line one\nline: two\n# three\n",
    ];

    [Fact]
    public void Every_string_alone_as_a_value_and_as_a_key_prints_as_the_emitter_does()
    {
        var fast = 0;
        foreach (var text in Awkward)
        {
            foreach (var doc in Shapes(text))
            {
                var sb = new StringBuilder();
                if (BlockYamlWriter.TryWrite([doc], sb))
                {
                    fast++;
                    Assert.True(KubeYaml.SerializeWithEmitter([doc]) == sb.ToString(),
                        $"string {JsonValue.Create(text).ToJsonString()} in {doc.ToJsonString()}:\nemitter:\n{KubeYaml.SerializeWithEmitter([doc])}\nfast:\n{sb}");
                }
                // Whichever path runs, the public entry point prints the emitter's text.
                Assert.Equal(KubeYaml.SerializeWithEmitter([doc]), KubeYaml.SerializeDocuments([doc]));
            }
        }
        // Most of the corpus takes the fast path (non-ASCII, tabs, CRs and odd literal blocks do not).
        Assert.True(fast > Awkward.Length * 3, $"fast path taken {fast} times");
    }

    private static IEnumerable<JsonObject> Shapes(string text)
    {
        yield return new JsonObject { ["k"] = text };
        yield return new JsonObject { [text] = "v", ["other"] = 1 };
        yield return new JsonObject { ["list"] = new JsonArray(text, JsonValue.Create(text)) };
        yield return new JsonObject
        {
            ["spec"] = new JsonObject
            {
                ["containers"] = new JsonArray(new JsonObject { ["name"] = "c", ["args"] = new JsonArray(text), ["env"] = new JsonObject { [text] = text } }),
                ["nested"] = new JsonArray(new JsonArray(text, 2), new JsonArray()),
            },
            ["data"] = new JsonObject { ["config.yaml"] = text, ["empty"] = new JsonObject(), ["none"] = null },
        };
    }

    [Fact]
    public void Known_strings_take_the_fast_path()
    {
        foreach (var text in new[] { "plain", "it's a #tag", "a: b", "", "8080", "a\nb\n", "{\"a\":1}\n" })
        {
            Assert.True(BlockYamlWriter.TryWrite([new JsonObject { ["k"] = text }], new StringBuilder()), text);
        }
        foreach (var text in new[] { "é", "a\tb", "\nlead", "trail\n\n" })
        {
            Assert.False(BlockYamlWriter.TryWrite([new JsonObject { ["k"] = text }], new StringBuilder()), text);
        }
    }

    [Fact]
    public void Streams_of_several_documents_and_values_of_every_kind_match()
    {
        var docs = new JsonNode?[]
        {
            new JsonObject { ["apiVersion"] = "v1", ["kind"] = "ConfigMap", ["metadata"] = new JsonObject { ["name"] = "a" } },
            new JsonObject { ["n"] = 1, ["f"] = 0.25, ["big"] = JsonNode.Parse("123456789012345678901234567890"), ["t"] = true, ["nul"] = null,
                ["guid"] = JsonValue.Create(Guid.Parse("6f9619ff-8b86-d011-b42d-00c04fc964ff")), ["when"] = JsonValue.Create(new DateTime(2001, 9, 9, 1, 46, 40, DateTimeKind.Utc)) },
            JsonNode.Parse("""{"items":[{"a":[1,[2,{"b":[]}]]},{},[],null,{"c":{"d":{"e":"f"}}}]}"""),
        };
        var sb = new StringBuilder();
        Assert.True(BlockYamlWriter.TryWrite(docs, sb));
        Assert.Equal(KubeYaml.SerializeWithEmitter(docs), sb.ToString());
    }

    [Fact]
    public void Non_mapping_roots_are_left_to_the_emitter()
    {
        Assert.False(BlockYamlWriter.TryWrite([new JsonArray(1, 2)], new StringBuilder()));
        Assert.False(BlockYamlWriter.TryWrite([new JsonObject()], new StringBuilder()));
        Assert.False(BlockYamlWriter.TryWrite([null], new StringBuilder()));
        var mixed = new JsonNode?[] { new JsonObject { ["a"] = 1 }, JsonValue.Create("x") };
        Assert.Equal(KubeYaml.SerializeWithEmitter(mixed), KubeYaml.SerializeDocuments(mixed));
    }

    private static List<string> YamlFiles() =>
        new[] { "tests", "examples", "crds", "manifests", "docs" }
            .SelectMany(RepoFiles.Yaml)
            .Where(f => !f.Contains("/bin/", StringComparison.Ordinal) && !f.Contains("/obj/", StringComparison.Ordinal))
            .ToList();

    public static TheoryData<string> RepositoryYaml() => new(YamlFiles());

    [Theory]
    [MemberData(nameof(RepositoryYaml))]
    public void Every_yaml_file_of_the_repository_prints_as_the_emitter_does(string file)
    {
        IReadOnlyList<JsonNode?> docs;
        try { docs = KubeYaml.ParseAll(RepoFiles.Read(file)); }
        catch (YamlFormatException) { return; } // inputs of tests about invalid YAML
        var objects = docs.Where(d => d is JsonObject { Count: > 0 }).ToList();
        if (objects.Count == 0) return;
        var sb = new StringBuilder();
        if (BlockYamlWriter.TryWrite(objects, sb))
        {
            Assert.Equal(KubeYaml.SerializeWithEmitter(objects), sb.ToString());
        }
        Assert.Equal(KubeYaml.SerializeWithEmitter(objects), KubeYaml.SerializeDocuments(objects));
    }

    [Fact]
    public void Nearly_every_yaml_file_of_the_repository_takes_the_fast_path()
    {
        int files = 0, fast = 0;
        foreach (var file in YamlFiles())
        {
            IReadOnlyList<JsonNode?> docs;
            try { docs = KubeYaml.ParseAll(RepoFiles.Read(file)); }
            catch (YamlFormatException) { continue; }
            var objects = docs.Where(d => d is JsonObject { Count: > 0 }).ToList();
            if (objects.Count == 0) continue;
            files++;
            if (BlockYamlWriter.TryWrite(objects, new StringBuilder())) fast++;
        }
        Assert.True(files > 300, $"{files} files");
        Assert.True(fast >= files * 9 / 10, $"{fast} of {files} files took the fast path");
    }
}
