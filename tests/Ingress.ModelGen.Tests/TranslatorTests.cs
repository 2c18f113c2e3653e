using System.Text.Json.Nodes;
using Ingress.Api;

namespace Ingress.ModelGen.Tests;

/// <summary>How schema constructs become C# (small inline inputs).</summary>
public class TranslatorTests
{
    private const string Core = """
        namespaces: {example.dev: Example}
        typeHints:
          - {match: "example.dev/*", path: "status.conditions[]", type: Knative.Condition}
          - {match: "example.dev/Widget", path: "spec.parts[]", name: Part}
        definitions:
          - namespace: Meta.V1
            name: ObjectMeta
            schema: {type: object, properties: {name: {type: string}}}
          - namespace: Knative
            name: Condition
            schema: {type: object, properties: {type: {type: string}, status: {type: string}}}
        """;

    private static string Crd(string kind, string plural, string specProperties) => """
        apiVersion: apiextensions.k8s.io/v1
        kind: CustomResourceDefinition
        metadata: {name: @PLURAL@.example.dev}
        spec:
          group: example.dev
          scope: Namespaced
          names: {kind: @KIND@, plural: @PLURAL@, shortNames: [w]}
          versions:
            - name: v1alpha1
              served: true
              storage: false
              schema: {openAPIV3Schema: {type: object}}
            - name: v1
              served: true
              storage: true
              schema:
                openAPIV3Schema:
                  type: object
                  properties:
                    apiVersion: {type: string}
                    kind: {type: string}
                    metadata: {type: object}
                    spec:
                      type: object
                      properties: @SPECPROPERTIES@
                    status:
                      type: object
                      properties:
                        observedGeneration: {type: integer, format: int64}
                        conditions: {type: array, items: {type: object, properties: {type: {type: string}}}}
        """.Replace("@KIND@", kind, StringComparison.Ordinal).Replace("@PLURAL@", plural, StringComparison.Ordinal).Replace("@SPECPROPERTIES@", specProperties, StringComparison.Ordinal);

    private static SortedDictionary<string, string> Generate(params (string Path, string Text)[] crds) =>
        ModelGenerator.Generate(Inputs.FromSources((JsonObject)KubeYaml.Parse(Core)!, crds));

    private const string WidgetFile = "src/Ingress.Api/Generated/Example/V1/Widget.g.cs";

    [Fact]
    public void Storage_version_is_generated_with_kind_identity_and_extension_data()
    {
        var file = Generate(("crds/w.yaml", Crd("Widget", "widgets", "{size: {type: integer, format: int32}}")))[WidgetFile];

        Assert.Contains("namespace Ingress.Api.Example.V1;", file, StringComparison.Ordinal);
        Assert.Contains("public sealed partial class Widget : global::Ingress.Api.IKubernetesObject<Widget>", file, StringComparison.Ordinal);
        Assert.Contains("public static string ApiVersionValue => \"example.dev/v1\";", file, StringComparison.Ordinal);
        Assert.Contains("public static string Plural => \"widgets\";", file, StringComparison.Ordinal);
        Assert.Contains("public int? Size { get; set; }", file, StringComparison.Ordinal);
        Assert.Contains("public global::Ingress.Api.Meta.V1.ObjectMeta Metadata { get; set; } = new();", file, StringComparison.Ordinal);
        Assert.Contains("[global::System.Text.Json.Serialization.JsonExtensionData]", file, StringComparison.Ordinal);
    }

    [Fact]
    public void Knative_status_gets_shared_conditions_and_the_status_interface()
    {
        var file = Generate(("crds/w.yaml", Crd("Widget", "widgets", "{size: {type: integer}}")))[WidgetFile];

        Assert.Contains("public sealed partial class WidgetStatus : global::Ingress.Api.Knative.IKnativeStatus", file, StringComparison.Ordinal);
        Assert.Contains("List<global::Ingress.Api.Knative.Condition>? Conditions", file, StringComparison.Ordinal);
        Assert.Contains("public long? ObservedGeneration", file, StringComparison.Ordinal);
    }

    [Fact]
    public void Int_or_string_quantity_free_form_and_maps_map_to_their_types()
    {
        const string props =
            "{port: {x-kubernetes-int-or-string: true, anyOf: [{type: integer}, {type: string}]}, " +
            "cpu: {x-kubernetes-int-or-string: true, anyOf: [{type: integer}, {type: string}], pattern: '^(\\+|-)?(([0-9]+(\\.[0-9]*)?)|(\\.[0-9]+))(([KMGTPE]i)|[numkMGTPE]|([eE](\\+|-)?(([0-9]+(\\.[0-9]*)?)|(\\.[0-9]+))))?$'}, " +
            "extra: {type: object, x-kubernetes-preserve-unknown-fields: true}, " +
            "anything: {x-kubernetes-preserve-unknown-fields: true}, " +
            "labels: {type: object, additionalProperties: {type: string}}, " +
            "when: {type: string, format: date-time}, ratio: {type: number}, on: {type: boolean}}";
        var file = Generate(("crds/w.yaml", Crd("Widget", "widgets", props)))[WidgetFile];

        Assert.Contains("public global::Ingress.Api.IntOrString? Port", file, StringComparison.Ordinal);
        Assert.Contains("public global::Ingress.Api.Quantity? Cpu", file, StringComparison.Ordinal);
        Assert.Contains("public global::System.Text.Json.Nodes.JsonObject? Extra", file, StringComparison.Ordinal);
        Assert.Contains("public global::System.Text.Json.Nodes.JsonNode? Anything", file, StringComparison.Ordinal);
        Assert.Contains("public global::System.Collections.Generic.Dictionary<string, string>? Labels", file, StringComparison.Ordinal);
        Assert.Contains("public global::System.DateTimeOffset? When", file, StringComparison.Ordinal);
        Assert.Contains("public double? Ratio", file, StringComparison.Ordinal);
        Assert.Contains("public bool? On", file, StringComparison.Ordinal);
    }

    [Fact]
    public void Nested_objects_are_named_by_path_or_by_hint_and_keep_schema_order()
    {
        const string props = "{zeta: {type: string}, parts: {type: array, items: {type: object, properties: {b: {type: string}, a: {type: string}}}}, holder: {type: object, properties: {x: {type: string}}}}";
        var file = Generate(("crds/w.yaml", Crd("Widget", "widgets", props)))[WidgetFile];

        Assert.Contains("public sealed partial class Part\n", file, StringComparison.Ordinal);
        Assert.Contains("public sealed partial class WidgetSpecHolder\n", file, StringComparison.Ordinal);
        Assert.Contains("List<global::Ingress.Api.Example.V1.Part>? Parts", file, StringComparison.Ordinal);
        Assert.True(file.IndexOf("Zeta", StringComparison.Ordinal) < file.IndexOf("Parts {", StringComparison.Ordinal));
        Assert.True(file.IndexOf("public string? B {", StringComparison.Ordinal) < file.IndexOf("public string? A {", StringComparison.Ordinal));
    }

    [Fact]
    public void Two_different_shapes_under_one_name_are_an_error()
    {
        var core = (JsonObject)KubeYaml.Parse(Core)!;
        core["typeHints"]!.AsArray().Add(new JsonObject { ["match"] = "example.dev/*", ["path"] = "spec.thing", ["name"] = "Thing" });
        var widget = ("crds/a.yaml", Crd("Widget", "widgets", "{thing: {type: object, properties: {b: {type: string}}}}"));
        var gadget = ("crds/b.yaml", Crd("Gadget", "gadgets", "{thing: {type: object, properties: {c: {type: string}}}}"));

        var e = Assert.Throws<GeneratorException>(() => ModelGenerator.Generate(Inputs.FromSources(core, [widget, gadget])));
        Assert.Contains("Example.V1.Thing", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Identical_shapes_under_one_name_are_generated_once()
    {
        var core = (JsonObject)KubeYaml.Parse(Core.Replace("match: \"example.dev/Widget\", path: \"spec.parts[]\"", "match: \"example.dev/*\", path: \"spec.parts[]\"", StringComparison.Ordinal))!;
        const string props = "{parts: {type: array, items: {type: object, properties: {b: {type: string}}}}}";
        var files = ModelGenerator.Generate(Inputs.FromSources(core, [("crds/a.yaml", Crd("Widget", "widgets", props)), ("crds/b.yaml", Crd("Gadget", "gadgets", props))]));

        var declarations = files.Values.Sum(f => CountOf(f, "public sealed partial class Part\n"));
        Assert.Equal(1, declarations);
        Assert.Contains("List<global::Ingress.Api.Example.V1.Part>? Parts", files["src/Ingress.Api/Generated/Example/V1/Gadget.g.cs"], StringComparison.Ordinal);
    }

    [Fact]
    public void Known_kinds_list_served_versions_and_names()
    {
        var files = Generate(("crds/w.yaml", Crd("Widget", "widgets", "{size: {type: integer}}")));
        var known = files["src/Ingress.Api/Generated/KnownKinds.g.cs"];

        Assert.Contains("new(\"example.dev\", \"v1\", \"Widget\", \"widgets\", \"widget\",", known, StringComparison.Ordinal);
        Assert.Contains("[\"w\"], [], true, [\"v1alpha1\", \"v1\"],", known, StringComparison.Ordinal);
        var context = files["src/Ingress.Api/Generated/KubeJsonContext.g.cs"];
        Assert.Contains("typeof(global::Ingress.Api.KubernetesList<global::Ingress.Api.Example.V1.Widget>), TypeInfoPropertyName = \"ExampleV1WidgetList\"", context, StringComparison.Ordinal);
        Assert.Contains("typeof(global::Ingress.Api.WatchEvent<global::Ingress.Api.Example.V1.Widget>), TypeInfoPropertyName = \"ExampleV1WidgetWatchEvent\"", context, StringComparison.Ordinal);
    }

    [Fact]
    public void A_reference_to_an_undeclared_type_names_the_place()
    {
        var core = (JsonObject)KubeYaml.Parse(Core)!;
        core["typeHints"]!.AsArray().Add(new JsonObject { ["match"] = "example.dev/*", ["path"] = "spec.thing", ["type"] = "Core.V1.Nope" });

        var e = Assert.Throws<GeneratorException>(() => ModelGenerator.Generate(Inputs.FromSources(core, [("crds/w.yaml", Crd("Widget", "widgets", "{thing: {type: object}}"))])));
        Assert.Contains("Core.V1.Nope", e.Message, StringComparison.Ordinal);
        Assert.Contains("crds/w.yaml", e.Message, StringComparison.Ordinal);
    }

    private static int CountOf(string text, string needle)
    {
        var count = 0;
        for (var i = text.IndexOf(needle, StringComparison.Ordinal); i >= 0; i = text.IndexOf(needle, i + 1, StringComparison.Ordinal))
        {
            count++;
        }
        return count;
    }
}
