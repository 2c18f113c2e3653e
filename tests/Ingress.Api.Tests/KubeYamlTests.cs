using System.Text.Json;
using System.Text.Json.Nodes;

namespace Ingress.Api.Tests;

public class KubeYamlTests
{
    [Fact]
    public void Multi_document_stream_skips_empty_documents_and_keeps_key_order()
    {
        const string yaml = """
            # leading comment
            ---
            kind: A
            zeta: 1
            alpha: 2
            ---
            ---
            # only a comment
            ---
            kind: B
            """;

        var docs = KubeYaml.ParseDocuments(yaml);

        Assert.Equal(2, docs.Count);
        Assert.Equal(["kind", "zeta", "alpha"], docs[0].Select(p => p.Key));
        Assert.Equal("B", docs[1]["kind"]!.GetValue<string>());
    }

    [Theory]
    [InlineData("v: true", JsonValueKind.True, "true")]
    [InlineData("v: False", JsonValueKind.False, "false")]
    [InlineData("v: yes", JsonValueKind.String, "\"yes\"")]
    [InlineData("v: on", JsonValueKind.String, "\"on\"")]
    [InlineData("v: 42", JsonValueKind.Number, "42")]
    [InlineData("v: -7", JsonValueKind.Number, "-7")]
    [InlineData("v: 0o17", JsonValueKind.Number, "15")]
    [InlineData("v: 0x1F", JsonValueKind.Number, "31")]
    [InlineData("v: 0xFFFFFFFFFFFFFFFFFF", JsonValueKind.Number, "4722366482869645213695")]
    [InlineData("v: 0o777777777777777777777777", JsonValueKind.Number, "4722366482869645213695")]
    [InlineData("v: 1.50", JsonValueKind.Number, "1.50")]
    [InlineData("v: 1e3", JsonValueKind.Number, "1e3")]
    [InlineData("v: .5", JsonValueKind.Number, "0.5")]
    [InlineData("v: +12", JsonValueKind.Number, "12")]
    [InlineData("v: 12345678901234567890123", JsonValueKind.Number, "12345678901234567890123")]
    [InlineData("v: \"42\"", JsonValueKind.String, "\"42\"")]
    [InlineData("v: 'true'", JsonValueKind.String, "\"true\"")]
    [InlineData("v: !!str 42", JsonValueKind.String, "\"42\"")]
    [InlineData("v: 1.2.3", JsonValueKind.String, "\"1.2.3\"")]
    [InlineData("v: 0755", JsonValueKind.Number, "755")]
    [InlineData("v: 128Mi", JsonValueKind.String, "\"128Mi\"")]
    [InlineData("v: 2006-01-02T15:04:05Z", JsonValueKind.String, "\"2006-01-02T15:04:05Z\"")]
    public void Plain_scalars_follow_the_yaml_1_2_core_schema_and_quoted_ones_stay_strings(string yaml, JsonValueKind kind, string json)
    {
        var value = KubeYaml.Parse(yaml)!["v"]!;

        Assert.Equal(kind, value.GetValueKind());
        Assert.Equal(json, value.ToJsonString());
    }

    [Theory]
    [InlineData("v: null")]
    [InlineData("v: ~")]
    [InlineData("v:")]
    [InlineData("v: NULL")]
    public void Null_forms_read_as_null(string yaml)
    {
        var obj = KubeYaml.Parse(yaml)!.AsObject();

        Assert.True(obj.ContainsKey("v"));
        Assert.Null(obj["v"]);
    }

    [Fact]
    public void Anchors_aliases_and_merge_keys_are_expanded()
    {
        const string yaml = """
            base: &base {a: 1, b: 2}
            copy: *base
            merged:
              <<: *base
              b: 3
            """;

        var obj = KubeYaml.Parse(yaml)!;

        Assert.Equal("""{"a":1,"b":2}""", obj["copy"]!.ToJsonString());
        Assert.Equal(1, obj["merged"]!["a"]!.GetValue<int>());
        Assert.Equal(3, obj["merged"]!["b"]!.GetValue<int>());
    }

    [Fact]
    public void Duplicate_keys_and_non_mapping_documents_are_errors()
    {
        var dup = Assert.Throws<YamlFormatException>(() => KubeYaml.Parse("a: 1\na: 2"));
        Assert.Contains("duplicate key \"a\"", dup.Message, StringComparison.Ordinal);
        Assert.Throws<YamlFormatException>(() => KubeYaml.ParseDocuments("- 1\n- 2"));
        Assert.Throws<YamlFormatException>(() => KubeYaml.Parse("a: [1, 2"));
        Assert.Throws<YamlFormatException>(() => KubeYaml.Parse("a: 1\n---\nb: 2"));
    }

    [Fact]
    public void Writing_quotes_strings_that_a_reader_would_take_for_something_else()
    {
        var node = new JsonObject
        {
            ["t"] = "true",
            ["yesWord"] = "yes",
            ["n"] = "null",
            ["e"] = "",
            ["i"] = "42",
            ["h"] = "0x1F",
            ["f"] = "1e3",
            ["d"] = "1.5",
            ["q"] = "128Mi",
            ["plain"] = "hello world",
        };

        var yaml = KubeYaml.Serialize(node);

        Assert.Contains("t: \"true\"", yaml, StringComparison.Ordinal);
        Assert.Contains("yesWord: \"yes\"", yaml, StringComparison.Ordinal);
        Assert.Contains("\"n\": \"null\"", yaml, StringComparison.Ordinal); // a YAML 1.1 reader takes a bare n for false
        Assert.Contains("i: \"42\"", yaml, StringComparison.Ordinal);
        Assert.Contains("q: 128Mi", yaml, StringComparison.Ordinal);
        Assert.Contains("plain: hello world", yaml, StringComparison.Ordinal);
        AssertExactRoundTrip(node);
    }

    [Fact]
    public void Writing_then_reading_gives_back_the_same_json_with_the_same_key_order()
    {
        var node = JsonNode.Parse("""
            {"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"x","labels":{"b":"1","a":"2"}},
             "data":{"multi":"line one\nline two\n","trailing":"no newline\nat end","spaces":"  leading","colon":"a: b",
                     "hash":"# not a comment","dash":"- item","quote":"it's \"quoted\"","tab":"a\tb","unicode":"héllo ✓",
                     "empty":"","star":"*alias","amp":"&anchor","brace":"{x}","at":"@x","pct":"%x","bang":"!tag"},
             "numbers":[0,-1,1.5,1e-7,12345678901234567890],"bools":[true,false],"nothing":null,
             "emptyObject":{},"emptyArray":[],"nested":[[1,2],{"k":[{"deep":true}]}]}
            """);

        AssertExactRoundTrip(node);
    }

    [Fact]
    public void Values_built_in_code_write_as_their_json_form()
    {
        var node = new JsonObject
        {
            ["guid"] = JsonValue.Create(Guid.Parse("6f9619ff-8b86-d011-b42d-00c04fc964ff")),
            ["count"] = JsonValue.Create(3L),
            ["ratio"] = JsonValue.Create(0.25),
        };

        Assert.Equal("guid: \"6f9619ff-8b86-d011-b42d-00c04fc964ff\"\ncount: 3\nratio: 0.25\n", KubeYaml.Serialize(node));
    }

    [Fact]
    public void Multi_document_writer_separates_documents_and_reads_back()
    {
        JsonNode?[] docs = [new JsonObject { ["a"] = 1 }, new JsonObject { ["b"] = "two" }];

        var yaml = KubeYaml.SerializeDocuments(docs);

        Assert.Contains("---", yaml, StringComparison.Ordinal);
        var back = KubeYaml.ParseAll(yaml);
        Assert.Equal(2, back.Count);
        Assert.Equal("""{"a":1}""", back[0]!.ToJsonString());
        Assert.Equal("""{"b":"two"}""", back[1]!.ToJsonString());
    }

    [Fact]
    public void Every_example_survives_yaml_out_and_back_in()
    {
        var files = RepoFiles.Yaml("examples");
        Assert.NotEmpty(files);
        foreach (var file in files)
        {
            var docs = KubeYaml.ParseDocuments(RepoFiles.Read(file));
            var again = KubeYaml.ParseDocuments(KubeYaml.SerializeDocuments(docs));
            Assert.Equal(docs.Select(d => d.ToJsonString()), again.Select(d => d.ToJsonString()));
        }
    }

    private static void AssertExactRoundTrip(JsonNode? node)
    {
        var yaml = KubeYaml.Serialize(node);
        var back = KubeYaml.Parse(yaml);
        Assert.True(JsonNode.DeepEquals(node, back), $"YAML was:\n{yaml}\nread back: {back?.ToJsonString()}");
        Assert.Equal(node?.ToJsonString(), back?.ToJsonString());
    }
}
